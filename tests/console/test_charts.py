"""The console's SVG charts: painted with stylesheet classes (no style attribute: strict CSP), with a
<title> and <desc> for assistive technology, labels escaped; the report keeps its own paint."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from consentkit import svgcharts
from consentkit.console import charts
from console.console_helpers import Markup

LABEL = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x10FFFF, exclude_categories=("Cs",)),
                min_size=1, max_size=60)


@given(st.lists(st.tuples(LABEL, st.integers(min_value=0, max_value=10**9)), min_size=1, max_size=12), LABEL)
def test_any_labels_stay_text_and_every_part_is_painted_by_a_class(items: list[tuple[str, int]], title: str) -> None:
    svg = charts.top_list(items, title, "desc " + title)
    markup = Markup(svg)
    assert [t for t, _ in markup.tags][:4] == ["figure", "svg", "title", "desc"]
    assert {t for t, _ in markup.tags} <= {"figure", "svg", "title", "desc", "text", "rect"}
    for tag, attrs in markup.tags:
        assert "style" not in attrs and "fill" not in attrs, tag
        if tag in ("rect", "text"):
            assert attrs["class"] in ("bar", "label")
    assert len(markup.all("rect")) == len(items)


def test_lines_and_outcomes_use_the_theme_classes_and_the_report_its_colours() -> None:
    line = charts.over_time(["2026-03-01", "2026-03-02"], [("a", [0.5, 1.0]), ("b", [0.0, 0.2])], "L", "D", top=1.0)
    assert 'class="line line-1"' in line and 'class="line line-2"' in line and 'points="0.0,80.0 640.0,0.0"' in line
    split = charts.outcomes({"accept_all": 3, "reject_all": 1}, 4, "O", "D")
    assert 'class="o-accept-all"' in split and 'class="o-reject-all"' in split and "75.0%" in split
    report = svgcharts.stacked({"accept_all": 3, "reject_all": 1}, 4)
    assert 'fill="#2e8b57"' in report and "<desc>" not in report and "class=" not in report
    assert charts.per_day([], "x", "y") == "" and charts.top_list([], "x", "y") == ""
