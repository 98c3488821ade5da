from __future__ import annotations

import fnmatch

from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.collect.paths import GlobSet

GLOBS = ["/static/*", "*.css", "/admin*", "/robots.txt"]
paths = st.one_of(
    st.sampled_from(["/", "/static/a.js", "/a.css", "/admin/users", "/robots.txt", "/robots.txt2", "/blog/x"]),
    st.text(max_size=300).map(lambda t: "/" + t),
)


@given(st.lists(paths, max_size=40))
@settings(max_examples=200)
def test_remembered_answers_are_the_globs_answers_and_stay_bounded(seen: list[str]) -> None:
    """Asked twice (the second answer may come from memory), and with room for only 8 paths."""
    globs = GlobSet(GLOBS, remember=8)
    for path in seen + seen:
        assert globs.match(path) == any(fnmatch.fnmatchcase(path, g) for g in GLOBS)
    assert globs.remembered <= 8


def test_nothing_is_remembered_when_told_not_to_or_for_long_paths() -> None:
    forgetful = GlobSet(GLOBS, remember=0)
    assert not forgetful.match("/blog") and forgetful.match("/a.css") and forgetful.remembered == 0
    globs = GlobSet(GLOBS)
    assert globs.match("/static/" + "x" * 300) and globs.remembered == 0
    assert globs.match("/static/x") and globs.remembered == 1
