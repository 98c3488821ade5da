"""Query parameters are untrusted: whatever they hold, reading them never raises, every value comes
out in range, and what could not be used becomes a notice."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.console.pages.collection_log import cursor
from consentkit.console.params import FIRST_DAY, LAST_DAY, MAX_TEXT, Params
from consentkit.console.texts import texts

T = texts("en")
ANY = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=300)
VALUES = st.one_of(ANY, st.dates().map(str), st.integers().map(str), st.floats().map(repr),
                   st.sampled_from(["", "2026-02-29", "2024-02-29", "0000-01-01", "9999-12-31", "1e400", "-0"]))
QUERY = st.dictionaries(st.sampled_from(["from", "to", "size", "kind", "visitor", "after", "seq", "x"]), VALUES)


@settings(max_examples=400, deadline=None)
@given(QUERY, st.floats(min_value=0, max_value=253402300799))
def test_reading_any_query_never_raises_and_stays_in_range(query: dict[str, str], now: float) -> None:
    p = Params(query, T)
    first, last = p.period(now, 30, 366)
    assert FIRST_DAY - 366 <= first <= last <= LAST_DAY and last - first < 366
    assert 1 <= p.number("size", 50, 1, 500) <= 500
    assert p.choice("kind", ("pageview", "beacon")) in (None, "pageview", "beacon")
    text = p.text("visitor")
    assert text is None or (0 < len(text) <= MAX_TEXT and text.isprintable() and text == text.strip())
    for notice in p.notices:
        assert isinstance(notice, str) and len(notice) < 400
    position = cursor(query.get("after", ""))
    assert position is None or (position[1] >= -1 and abs(position[0]) != float("inf"))


@given(st.integers(min_value=FIRST_DAY, max_value=LAST_DAY), st.integers(min_value=FIRST_DAY, max_value=LAST_DAY))
def test_good_dates_are_taken_as_they_are(a: int, b: int) -> None:
    import datetime as dt

    first, last = sorted((a, b))
    day = lambda n: (dt.date(1970, 1, 1) + dt.timedelta(days=n)).isoformat()  # noqa: E731
    p = Params({"from": day(first), "to": day(last)}, T)
    got = p.period(0, 30, LAST_DAY + 1)
    assert got == (first, last) and p.notices == []


def test_what_could_not_be_used_is_named_with_what_was_used_instead() -> None:
    p = Params({"from": "2026-13-01", "size": "ten", "kind": "<x>", "after": "1:2"}, T)
    assert p.period(86400 * 20000, 30, 366) == (20000 - 30, 20000 - 1)
    assert p.number("size", 50, 1, 500) == 50 and p.choice("kind", ("pageview",)) is None
    assert p.notices == ["from: “2026-13-01” is not valid; 2024-09-04 is used instead.",
                         "size: “ten” is not valid; 50 is used instead.",
                         "kind: “<x>” is not valid; any is used instead."]
    assert cursor("1.5:2") == (1.5, 2) and cursor("nan:1") is None and cursor("1:-2") is None
    assert cursor("1:-1") == (1.0, -1)  # "from this time on"
