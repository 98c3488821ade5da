from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.collect.language import MAX_ACCEPT_LANGUAGE, primary_language


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,en;q=0.9", "en"),
        ("de-CH, de;q=0.9, en;q=0.8", "de"),
        ("fr;q=0.5, de;q=0.8", "de"),
        ("fr, de", "fr"),
        ("FR-ca", "fr"),
        ("zh-Hant-TW;q=0.2, *;q=1", "zh"),
        ("*", None),
        ("en;q=0", None),
        ("en;q=0, de;q=0.001", "de"),
        ("en;q=0.000", None),
        ("", None),
        ("   ", None),
        (",,,;;;", None),
        ("x-klingon, i-default", None),
        ("english", None),
        ("e1, es", "es"),
        ("en;q=abc, es;q=0.1", "es"),
        ("en;q=1.5, es;q=0.1", "es"),
        ("en; Q = 0.7 , pt-BR ; q=0.8", "pt"),
        ("haw;q=0.9, en;q=0.8", "haw"),
        ("en;level=1;q=0.4, it;q=0.3", "en"),
        ("\xe9n, es", "es"),
    ],
)
def test_primary_language(header: str, expected: str | None) -> None:
    assert primary_language(header) == expected


def test_long_header_is_cut_at_an_entry_boundary() -> None:
    header = "en;q=0.1," + "xx;q=0.2," * 100 + "de"
    assert primary_language(header) == "xx"
    # only complete entries within the cap are read: "de" (q=1) is beyond it
    assert primary_language("en;q=0.1," + " " * MAX_ACCEPT_LANGUAGE + ",de") == "en"


def test_only_the_first_twenty_entries_count() -> None:
    header = ",".join(["en;q=0.1"] * 20 + ["de"])
    assert primary_language(header) == "en"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600) | st.lists(st.from_regex(r"[a-zA-Z]{1,9}(-[a-zA-Z0-9]{1,8})?(;q=[01](\.[0-9]{1,3})?)?",
                                                      fullmatch=True), max_size=30).map(",".join))
def test_primary_language_never_raises(header: str) -> None:
    found = primary_language(header)
    if found is not None:
        assert 2 <= len(found) <= 3 and found.isascii() and found.isalpha() and found.islower()
        assert found in header.lower()
