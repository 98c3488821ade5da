"""Server-rendered SVG charts, shared by the HTML report and the review console.

Each chart is drawn once here; a `Look` says how its parts are painted: the report, a page that
stands alone, paints with presentation attributes (``fill="#2f6fb3"``); the console, whose
Content-Security-Policy allows no inline style, paints with classes of its stylesheet, so that its
light and dark themes apply. Every label goes through `htmlsafe.escape`: stored values (paths,
referrers) are whatever visitors' requests carried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from consentkit.htmlsafe import escape, printable

OUTCOMES = ("accept_all", "reject_all", "custom")


@dataclass(frozen=True, slots=True)
class Look:
    """Attributes (already HTML, without a leading space) painting each part of a chart."""

    bar: str
    label: str
    axis: str
    outcome: Mapping[str, str]
    line: Sequence[str] = ()
    """One per series of a line chart, in order."""


REPORT_LOOK = Look(
    bar='fill="#2f6fb3"', label='font-size="13"', axis='font-size="12"',
    outcome={"accept_all": 'fill="#2e8b57"', "reject_all": 'fill="#b03a2e"', "custom": 'fill="#c98f00"'},
)


def _open(label: str, width: int, height: int, desc: str) -> str:
    """The <svg> tag; with `desc`, a <title> and <desc> inside, for assistive technology."""
    head = (f'<svg role="img" aria-label="{escape(label)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">')
    if desc:
        head += f"<title>{escape(label)}</title><desc>{escape(desc)}</desc>"
    return head


def pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.1f}%"


def hbars(items: Sequence[tuple[str, int]], label: str, look: Look = REPORT_LOOK, desc: str = "") -> str:
    """Horizontal bars, one per item, with the label and the number written beside each."""
    if not items:
        return ""
    top = max(n for _, n in items) or 1
    row, width = 22, 640
    parts = [_open(label, width, row * len(items) + 4, desc)]
    for i, (name, n) in enumerate(items):
        y = i * row + 2
        w = max(1, round(n / top * 300))
        short = name if len(name) <= 40 else name[:39] + "…"
        parts.append(f'<text x="0" y="{y + 15}" {look.label}>{escape(printable(short))}</text>'
                     f'<rect x="300" y="{y + 3}" width="{w}" height="15" {look.bar}/>'
                     f'<text x="{306 + w}" y="{y + 15}" {look.label}>{n:,}</text>')
    parts.append("</svg>")
    return "".join(parts)


def columns(days: Sequence[tuple[str, int]], label: str, look: Look = REPORT_LOOK, desc: str = "") -> str:
    """Vertical bars per day."""
    if not days:
        return ""
    top = max(n for _, n in days) or 1
    height, width = 160, 640
    step = width / len(days)
    parts = [_open(label, width, height + 20, desc)]
    for i, (day, n) in enumerate(days):
        h = round(n / top * height)
        parts.append(f'<rect x="{i * step + 1:.1f}" y="{height - h}" width="{max(step - 2, 1):.1f}" height="{h}" '
                     f'{look.bar}><title>{escape(day)}: {n:,}</title></rect>')
    parts.append(f'<text x="0" y="{height + 16}" {look.axis}>{escape(days[0][0])}</text>'
                 f'<text x="{width}" y="{height + 16}" {look.axis} text-anchor="end">{escape(days[-1][0])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked(outcomes: Mapping[str, int], choices: int, label: str = "Choices by outcome",
            look: Look = REPORT_LOOK, desc: str = "") -> str:
    """One bar split into accept all / reject all / custom."""
    if not choices:
        return ""
    width, x = 640, 0.0
    parts = [_open(label, width, 46, desc)]
    shares = {o: outcomes.get(o, 0) / choices for o in OUTCOMES}
    for o in OUTCOMES:
        w = shares[o] * width
        if w:
            parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="22" {look.outcome[o]}>'
                         f"<title>{escape(o)}: {pct(shares[o])}</title></rect>")
        x += w
    legend = "   ".join(f"{o.replace('_', ' ')} {pct(shares[o])}" for o in OUTCOMES)
    parts.append(f'<text x="0" y="40" {look.label}>{escape(legend)}</text></svg>')
    return "".join(parts)


def lines(days: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], label: str, look: Look,
          desc: str = "", top: float | None = None) -> str:
    """One line per series over the days (each series as many values as days); `top` is the value
    at the chart's top edge (default: the largest value)."""
    if not days or not series:
        return ""
    height, width = 160, 640
    top = top or max((v for _, values in series for v in values), default=0) or 1
    step = width / max(len(days) - 1, 1)
    parts = [_open(label, width, height + 20 + 18 * len(series), desc)]
    for n, (name, values) in enumerate(series):
        paint = look.line[n % len(look.line)] if look.line else look.bar
        points = " ".join(f"{i * step:.1f},{height - v / top * height:.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline points="{points}" {paint}><title>{escape(name)}</title></polyline>')
        y = height + 34 + 18 * n
        parts.append(f'<rect x="0" y="{y - 10}" width="12" height="4" {paint}/>'
                     f'<text x="18" y="{y}" {look.label}>{escape(printable(name))}</text>')
    parts.append(f'<text x="0" y="{height + 16}" {look.axis}>{escape(days[0])}</text>'
                 f'<text x="{width}" y="{height + 16}" {look.axis} text-anchor="end">{escape(days[-1])}</text>')
    parts.append("</svg>")
    return "".join(parts)
