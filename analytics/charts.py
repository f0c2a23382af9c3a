"""Charts drawn on the server as inline SVG: no JavaScript, no library.

Pure functions of their data. Every chart carries a visible title, its axis
labels, the values written on (or beside) the bars so they read at a
glance, and a `<title>`/`<desc>` pair for screen readers; with nothing to
show (no bars, or all zero) it says so instead of drawing an empty frame.
Coordinates are written with a dot whatever the language: they are SVG, not
text for people.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

Number = int | float | Decimal

WIDTH = 640
TITLE_BAND = 26
CHAR_WIDTH = 7  # of the 12 px labels, roughly: enough to keep labels apart
# Above this many columns, values are left to each column's tooltip (and
# the description), or they would overlap.
MAX_VALUE_LABELS = 31


@dataclass(frozen=True)
class Bar:
    label: str  # under the column, or before the bar
    value: Number
    hint: str = ""  # the tooltip's name for it when the label is short ("4 mar" for a whole week)


def plain(value: Number) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def column_chart(
    *, chart_id: str, title: str, bars: Sequence[Bar], x_label: str, y_label: str,
    fmt: Callable[[Number], str] = plain, integer: bool = True, empty_text: str = "", height: int = 260,
) -> SafeString:  # fmt: skip
    """Vertical bars over a baseline, with a y axis of round ticks; `integer`
    keeps the ticks whole (counts)."""
    if _is_empty(bars):
        return _empty(chart_id, title, empty_text, height)
    top, step = _scale(max(float(bar.value) for bar in bars), integer=integer)
    ticks = [step * n for n in range(round(top / step) + 1)]
    left = 22 + CHAR_WIDTH * max(len(fmt(tick)) for tick in ticks)
    right, plot_top, bottom = 12, TITLE_BAND + 18, 44
    plot_w, plot_h = WIDTH - left - right, height - plot_top - bottom
    baseline = plot_top + plot_h
    slot = plot_w / len(bars)
    bar_w = min(slot * 0.72, 48)
    parts = [_open(chart_id, title, bars, fmt, height)]
    for tick in ticks:
        y = baseline - plot_h * tick / top
        parts.append(f'<line class="grid" x1="{left:.1f}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(tick))}</text>'
        )
    every = max(1, math.ceil(len(bars) * (CHAR_WIDTH * max(len(bar.label) for bar in bars) + 8) / plot_w))
    for n, bar in enumerate(bars):
        value = max(float(bar.value), 0)
        h = plot_h * value / top
        x = left + slot * n + (slot - bar_w) / 2
        center = x + bar_w / 2
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{baseline - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}">'
            f"<title>{escape(bar.hint or bar.label)}: {escape(fmt(bar.value))}</title></rect>"
        )
        if value and len(bars) <= MAX_VALUE_LABELS:
            parts.append(f'<text class="value" x="{center:.1f}" y="{baseline - h - 4:.1f}" text-anchor="middle">'
                         f"{escape(fmt(bar.value))}</text>")  # fmt: skip
        if n % every == 0:
            parts.append(f'<text class="label" x="{center:.1f}" y="{baseline + 15:.1f}" text-anchor="middle">'
                         f"{escape(bar.label)}</text>")  # fmt: skip
    parts.append(f'<line class="axis" x1="{left:.1f}" x2="{WIDTH - right}" y1="{baseline:.1f}" y2="{baseline:.1f}"/>')
    parts.append(f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
                 f"{escape(x_label)}</text>")  # fmt: skip
    parts.append(f'<text class="axis-label" transform="translate(12 {plot_top + plot_h / 2:.1f}) rotate(-90)" '
                 f'text-anchor="middle">{escape(y_label)}</text>')  # fmt: skip
    return mark_safe("".join(parts) + "</svg>")  # noqa: S308 - every text in it is escaped above


def bar_chart(
    *, chart_id: str, title: str, bars: Sequence[Bar], x_label: str, fmt: Callable[[Number], str] = plain,
    empty_text: str = "",
) -> SafeString:  # fmt: skip
    """Horizontal bars, one a row, the label before and the value after each:
    for categories (sources, services) whose names are too long to stand
    under a column."""
    if _is_empty(bars):
        return _empty(chart_id, title, empty_text, 120)
    row, label_w = 28, min(200, 10 + CHAR_WIDTH * max(len(bar.label) for bar in bars))
    value_w = 14 + CHAR_WIDTH * max(len(fmt(bar.value)) for bar in bars)
    plot_top, plot_w = TITLE_BAND + 8, WIDTH - label_w - value_w - 8
    height = plot_top + row * len(bars) + 30
    biggest = max(float(bar.value) for bar in bars)
    parts = [_open(chart_id, title, bars, fmt, height)]
    for n, bar in enumerate(bars):
        y = plot_top + row * n
        w = plot_w * max(float(bar.value), 0) / biggest
        parts.append(f'<text class="label" x="{label_w - 8:.1f}" y="{y + row / 2 + 4:.1f}" text-anchor="end">'
                     f"{escape(bar.label)}</text>")  # fmt: skip
        parts.append(
            f'<rect class="bar" x="{label_w:.1f}" y="{y + 4:.1f}" width="{w:.1f}" height="{row - 8}">'
            f"<title>{escape(bar.hint or bar.label)}: {escape(fmt(bar.value))}</title></rect>"
        )
        parts.append(f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + row / 2 + 4:.1f}">'
                     f"{escape(fmt(bar.value))}</text>")  # fmt: skip
    baseline = plot_top + row * len(bars)
    parts.append(f'<line class="axis" x1="{label_w:.1f}" x2="{label_w:.1f}" y1="{plot_top}" y2="{baseline}"/>')
    parts.append(f'<text class="axis-label" x="{label_w + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle">'
                 f"{escape(x_label)}</text>")  # fmt: skip
    return mark_safe("".join(parts) + "</svg>")  # noqa: S308 - every text in it is escaped above


def _is_empty(bars: Sequence[Bar]) -> bool:
    return not any(float(bar.value) > 0 for bar in bars)


def _scale(biggest: float, *, integer: bool) -> tuple[float, float]:
    """The top of the y axis and the step between ticks: a round step (1,
    2, 2.5 or 5 times a power of ten; whole for counts), about four ticks."""
    raw = biggest / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in steps if m * magnitude >= raw)
    if integer:
        step = max(1, round(step))
    return step * math.ceil(biggest / step), step


def _open(chart_id: str, title: str, bars: Sequence[Bar], fmt: Callable[[Number], str], height: int) -> str:
    described = "; ".join(f"{bar.hint or bar.label}: {fmt(bar.value)}" for bar in bars if float(bar.value))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(described)}</desc>'
        f'<text class="chart-title" x="0" y="16">{escape(title)}</text>'
    )


def _empty(chart_id: str, title: str, text: str, height: int) -> SafeString:
    text = text or _("No data in this period.")
    return mark_safe(  # noqa: S308 - escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart empty" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(text)}</desc>'
        f'<text class="chart-title" x="0" y="16">{escape(title)}</text>'
        f'<text class="nodata" x="{WIDTH / 2:.0f}" y="{(height + TITLE_BAND) / 2:.0f}" text-anchor="middle">'
        f"{escape(text)}</text></svg>"
    )
