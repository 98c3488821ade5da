"""The stored path keeps only the configured query keys, whatever text their values hold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from consentkit.collect.event import MAX_PATH, stored_path

ANY_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=40)


def test_a_lone_surrogate_in_a_kept_value_is_replaced() -> None:
    assert stored_path("/", [("q", "\ud800"), ("x", "1")], frozenset({"q"})) == ("/?q=%EF%BF%BD", False)


@given(ANY_TEXT, st.lists(st.tuples(st.sampled_from(["q", "x"]), ANY_TEXT), max_size=5))
def test_any_query_gives_a_bounded_path_of_kept_keys(path: str, query: list[tuple[str, str]]) -> None:
    stored, _ = stored_path("/" + path, query, frozenset({"q"}))
    assert len(stored) <= MAX_PATH and stored.startswith(("/" + path)[:MAX_PATH])
    rest = stored[len(path) + 1:]
    assert rest == "" or rest.startswith("?q=")  # only the kept key
