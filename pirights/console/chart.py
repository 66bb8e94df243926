"""A bar chart of shares (0–100 %) drawn as inline SVG on the server (the dashboard's
weekly on-time rate).

No script, no web font, no `style` attribute or element: colours and sizes are SVG
presentation attributes, which the console's Content-Security-Policy (`style-src 'self'`)
does not govern, so the chart renders under the strict CSP with nothing to load. Every
text is escaped here; the caller passes them already translated and formatted. The chart
is an image with a title and a description (`role="img"`); the page shows the same
figures as a table for those who cannot see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 940, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 44
GRID = (0, 25, 50, 75, 100)
BAR_SHARE = 0.7  # of a week's slot; the rest is the gap between bars
BAR, TRACK, EMPTY, INK, RULE = "#2f6690", "#dce8f2", "#8a8a8a", "#333333", "#d0d0d0"


@dataclass(frozen=True)
class Bar:
    """One bar: its axis label ("" for none), its tooltip, and its share (None: no data)."""

    label: str
    tooltip: str
    share: float | None


def _num(value: float) -> str:
    """A coordinate with at most one decimal, without a trailing ".0"."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def bar_chart(
    bars: Sequence[Bar], *, title: str, description: str, element_id: str, empty_label: str
) -> Markup:
    """The SVG element for `bars` (left to right) of shares between 0 and 1.

    Each bar with a share stands on a pale full-height track, so a 0 % week reads as an
    empty track; a bar without a share (nothing to measure that week) is a short grey dash
    on the axis instead. Shares outside 0..1 are clamped.
    """
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    slot = plot_w / max(len(bars), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" class="chart" id="{escape(element_id)}" '
        f'aria-labelledby="{escape(element_id)}-title {escape(element_id)}-desc" '
        'font-family="sans-serif" font-size="12">',
        f'<title id="{escape(element_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(element_id)}-desc">{escape(description)}</desc>',
    ]
    for pct in GRID:
        y = _num(base - plot_h * pct / 100)
        parts.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" '
            f'stroke="{INK if pct == 0 else RULE}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y}" dy="4" text-anchor="end" fill="{INK}">{pct}%</text>'
        )
    for n, bar in enumerate(bars):
        x = LEFT + slot * n + slot * (1 - BAR_SHARE) / 2
        width = slot * BAR_SHARE
        tip = f"<title>{escape(bar.tooltip)}</title>"
        if bar.share is None:
            parts.append(
                f'<rect class="empty" x="{_num(x)}" y="{_num(base - 3)}" width="{_num(width)}" '
                f'height="3" fill="{EMPTY}">{tip}</rect>'
            )
        else:
            share = min(max(bar.share, 0.0), 1.0)
            height = max(plot_h * share, 1.0)  # a 0 % week still shows a sliver
            parts.append(
                f'<g><rect class="track" x="{_num(x)}" y="{TOP}" width="{_num(width)}" '
                f'height="{plot_h}" fill="{TRACK}"/><rect class="bar" x="{_num(x)}" '
                f'y="{_num(base - height)}" width="{_num(width)}" height="{_num(height)}" '
                f'fill="{BAR}"/>{tip}</g>'
            )
        if bar.label:
            centre = _num(LEFT + slot * n + slot / 2)
            parts.append(
                f'<text x="{centre}" y="{base + 18}" text-anchor="middle" fill="{INK}">'
                f"{escape(bar.label)}</text>"
            )
    if not any(bar.share is not None for bar in bars):
        parts.append(
            f'<text x="{_num(LEFT + plot_w / 2)}" y="{_num(TOP + plot_h / 2)}" '
            f'text-anchor="middle" fill="{INK}">{escape(empty_label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
