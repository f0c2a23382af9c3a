"""The server-drawn charts: bars as long as their values, every label and
value written, described for screen readers, and an honest empty state."""

from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.utils import translation

from analytics.charts import Bar, bar_chart, column_chart

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def parsed(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 - our own output


def texts(root: ElementTree.Element, css_class: str) -> list[str]:
    return [node.text for node in root.iter(f"{SVG}text") if node.get("class") == css_class]


def bars_of(root: ElementTree.Element) -> list[ElementTree.Element]:
    return [node for node in root.iter(f"{SVG}rect") if node.get("class") == "bar"]


def weekly(values: list[int]) -> str:
    bars = [Bar(label, value) for label, value in zip(["seg", "ter", "qua", "qui"], values, strict=False)]
    return column_chart(chart_id="c", title="Bookings made", bars=bars, x_label="Day", y_label="Bookings")


def test_column_heights_are_proportional_to_the_values_and_share_one_baseline():
    root = parsed(weekly([1, 3, 0, 2]))

    heights = [float(rect.get("height")) for rect in bars_of(root)]
    bottoms = {round(float(rect.get("y")) + float(rect.get("height")), 1) for rect in bars_of(root)}
    assert heights[1] == pytest.approx(3 * heights[0], abs=0.2)
    assert heights[3] == pytest.approx(2 * heights[0], abs=0.2)
    assert heights[2] == 0
    assert len(bottoms) == 1


def test_a_chart_has_its_title_axis_labels_each_columns_label_and_its_values_on_the_bars():
    root = parsed(weekly([1, 3, 0, 2]))

    assert texts(root, "chart-title") == ["Bookings made"]
    assert texts(root, "label") == ["seg", "ter", "qua", "qui"]
    assert texts(root, "value") == ["1", "3", "2"]  # nothing written on an empty day
    assert texts(root, "axis-label") == ["Day", "Bookings"]
    assert texts(root, "tick") == ["0", "1", "2", "3"]  # whole ticks for counts
    # for screen readers: a role, a title and a description that say the same
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c-title c-desc"
    assert root.find(f"{SVG}title").text == "Bookings made"
    assert root.find(f"{SVG}desc").text == "seg: 1; ter: 3; qui: 2"
    assert [rect.find(f"{SVG}title").text for rect in bars_of(root)] == ["seg: 1", "ter: 3", "qua: 0", "qui: 2"]


@pytest.mark.parametrize("values", [[], [0, 0, 0, 0]])
def test_no_data_is_said_not_drawn(values):
    root = parsed(weekly(values))

    assert bars_of(root) == []
    assert texts(root, "nodata") == ["No data in this period."]
    assert texts(root, "chart-title") == ["Bookings made"]
    assert root.find(f"{SVG}desc").text == "No data in this period."


def test_many_columns_keep_their_values_in_tooltips_and_thin_out_their_labels():
    bars = [Bar(f"{day} mar", day % 5, hint=f"{day} March") for day in range(1, 91)]

    root = parsed(column_chart(chart_id="c", title="Conversations", bars=bars, x_label="Day", y_label="Count"))

    assert len(bars_of(root)) == 90
    assert texts(root, "value") == []  # 90 numbers would overlap
    assert 5 < len(texts(root, "label")) < 20
    assert bars_of(root)[3].find(f"{SVG}title").text == "4 March: 4"


def test_money_ticks_are_round_and_formatted_by_the_caller():
    bars = [Bar("jan", Decimal("120.50")), Bar("fev", Decimal("80"))]

    root = parsed(column_chart(chart_id="r", title="Revenue", bars=bars, x_label="Month", y_label="R$",
                               fmt=lambda value: f"R$ {value:.2f}", integer=False))  # fmt: skip

    assert texts(root, "tick") == ["R$ 0.00", "R$ 50.00", "R$ 100.00", "R$ 150.00"]
    assert texts(root, "value") == ["R$ 120.50", "R$ 80.00"]
    heights = [float(rect.get("height")) for rect in bars_of(root)]
    assert heights[0] / heights[1] == pytest.approx(120.5 / 80, rel=0.01)


def test_labels_are_escaped():
    root = parsed(column_chart(chart_id="x", title="<b>Oi</b> & tchau", bars=[Bar("<i>", 1)], x_label="a", y_label="b"))

    assert texts(root, "chart-title") == ["<b>Oi</b> & tchau"]
    assert texts(root, "label") == ["<i>"]


def test_horizontal_bars_are_proportional_with_the_value_beside_each():
    bars = [Bar("AI attendant", 6), Bar("staff", 3), Bar("API", 0)]

    root = parsed(bar_chart(chart_id="s", title="Bookings by source", bars=bars, x_label="Bookings"))

    widths = [float(rect.get("width")) for rect in bars_of(root)]
    assert widths[0] == pytest.approx(2 * widths[1], abs=0.2)
    assert widths[2] == 0
    assert texts(root, "label") == ["AI attendant", "staff", "API"]
    assert texts(root, "value") == ["6", "3", "0"]
    assert texts(root, "axis-label") == ["Bookings"]
    assert bar_chart(chart_id="e", title="Bookings by source", bars=[], x_label="Bookings").count("<rect") == 0
