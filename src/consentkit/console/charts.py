"""The console's charts: the shared SVG charts (`consentkit.svgcharts`) painted with classes of
console.css, so that the light and dark themes apply and the Content-Security-Policy needs no
inline style. Each chart carries a <title> and a <desc> for assistive technology; the page puts
the numbers it draws in a table beside it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from consentkit import svgcharts

LOOK = svgcharts.Look(
    bar='class="bar"', label='class="label"', axis='class="axis"',
    outcome={o: f'class="o-{o.replace("_", "-")}"' for o in svgcharts.OUTCOMES},
    line=('class="line line-1"', 'class="line line-2"', 'class="line line-3"'),
)


def top_list(items: Sequence[tuple[str, int]], label: str, desc: str) -> str:
    """Horizontal bars for a top list."""
    return _figure(svgcharts.hbars(items, label, LOOK, desc))


def per_day(days: Sequence[tuple[str, int]], label: str, desc: str) -> str:
    """Columns over time."""
    return _figure(svgcharts.columns(days, label, LOOK, desc))


def over_time(days: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], label: str, desc: str,
              top: float | None = None) -> str:
    """Lines over time."""
    return _figure(svgcharts.lines(days, series, label, LOOK, desc, top))


def outcomes(counts: Mapping[str, int], choices: int, label: str, desc: str) -> str:
    """One bar split into accept all / reject all / custom."""
    return _figure(svgcharts.stacked(counts, choices, label, LOOK, desc))


def _figure(svg: str) -> str:
    return f'<figure class="chart">{svg}</figure>' if svg else ""
