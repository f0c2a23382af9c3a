import pytest

PAGES = ["/settings/", "/settings/hours/", "/settings/services/", "/settings/services/new/", "/settings/resources/",
         "/settings/resources/new/", "/settings/attendant/", "/settings/faq/", "/settings/faq/new/",
         "/settings/owners/", "/settings/api-keys/", "/settings/team/"]

@pytest.mark.parametrize("path", PAGES)
def test_smoke(alpha_team, path):
    client = alpha_team("owner")
    r = client.get(path)
    assert r.status_code == 200, r.content.decode()[:3000]
    open(f"/tmp/settings_smoke/{path.strip('/').replace('/', '_') or 'root'}.html", "w").write(r.content.decode())
