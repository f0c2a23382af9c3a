"""Every main page opens in a real browser without a script error, in
Portuguese by default; a screenshot of each is kept as an artifact."""

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in

PAGES = ["/inbox/", "/agenda/", "/agenda/?view=week", "/customers/", "/channels/", "/campaigns/", "/campaigns/new/",
         "/analytics/", "/settings/", "/settings/attendant/", "/settings/team/"]  # fmt: skip


@pytest.fixture
def owner(new_page):
    page = new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("response", lambda answer: answer.status >= 400 and page.errors.append(f"{answer.status} {answer.url}"))
    # Over plain http (tests) Chromium only warns that it ignores the COOP header.
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "Cross-Origin-Opener-Policy" not in message.text
            and page.errors.append(message.text)
        ),
    )
    # Anything the Content-Security-Policy blocks (inline code, eval, a style element) is an error.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => (window.cspViolations ||= [])"
        ".push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"
    )
    return sign_in(page)


def test_the_main_pages_open_without_errors(owner):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path in PAGES:
        response = owner.goto(path)
        owner.wait_for_load_state("networkidle")

        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        assert owner.evaluate("window.cspViolations || []") == [], path
        assert owner.locator("html").get_attribute("lang") == "pt-br", path
        name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "home"
        owner.screenshot(path=ARTIFACTS / f"page-{name}.png", full_page=True)
    assert owner.errors == []
