"""Whatever visitors' requests put into stored values (paths, referrers, campaign names), a report's
HTML page and Markdown tables keep their structure: nothing stored becomes markup."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.review.report import (
    Breakdown,
    ConsentSummary,
    DayTraffic,
    Group,
    PolicyConsent,
    Report,
    Traffic,
)
from consentkit.review.report_format import html_page, markdown, text

ANY_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=("Cs",)),
                   min_size=1, max_size=80)


def report_with(label: str) -> Report:
    group = Group(label, 7, 5, 5)
    breakdowns = tuple(Breakdown(dim, (group,), Group("(other)", 1, 1, 1), 1) for dim in (
        "path", "referrer_class", "referrer_host", "utm_source", "utm_medium", "utm_campaign", "browser", "os",
        "device", "country"))
    policy = PolicyConsent(label[:32], 9, 6, {"accept_all": 3, "custom": 3}, {label[:32]: 3}, 1, 0)
    consent = ConsentSummary(policy, (policy,), None, 10, 1, 2, {label: 1})
    traffic = Traffic(10, 8, 6, 6, (DayTraffic("2026-03-02", 8, 6, 6),), breakdowns)
    return Report("2026-03-02", "2026-03-02", 0.0, 5, traffic, consent, ())


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def tags(page: str) -> list[str]:
    parser = Tags()
    parser.feed(page)
    parser.close()
    return parser.tags


BENIGN = tags(html_page(report_with("plain")))
BENIGN_PIPES = [line.count("|") for line in markdown(report_with("plain")).splitlines()]
BENIGN_TEXT_LINES = len(text(report_with("plain")).splitlines())


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_a_stored_value_never_adds_markup_to_the_html_page(label: str) -> None:
    page = html_page(report_with(label))
    assert tags(page) == BENIGN
    assert "<script" not in page.lower()


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_a_stored_value_never_breaks_a_markdown_table_or_a_text_line(label: str) -> None:
    def pipes(md: str) -> list[int]:
        return [line.replace("\\\\", "").replace("\\|", "").count("|") for line in md.splitlines()]

    md = markdown(report_with(label))
    assert pipes(md) == BENIGN_PIPES
    assert all("<" not in line.replace("\\<", "") for line in md.splitlines())
    assert len(text(report_with(label)).splitlines()) == BENIGN_TEXT_LINES
