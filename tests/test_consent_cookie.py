from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.consent import Choice, ChoiceCodec, new_id
from consentkit.signals import Signals

KEYS = ["a" * 32]
KNOWN = frozenset({"necessary", "preferences", "analytics", "marketing", "chat", "support"})


def codec(keys: list[str] = KEYS, policy: str = "1", max_age: int = 3600) -> ChoiceCodec:
    return ChoiceCodec(keys, policy, max_age, KNOWN)


def choice(granted: frozenset[str] = frozenset({"analytics"}), policy: str = "1") -> Choice:
    return Choice(new_id(), granted, policy, time.time(), Signals(False, True))


def test_round_trip_keeps_id_categories_policy_time_and_signals() -> None:
    c = codec()
    original = choice()
    back = c.decode(c.encode(original))
    assert back is not None
    assert (back.consent_id, back.granted, back.policy_version, back.signals) == (
        original.consent_id, original.granted, "1", Signals(False, True))
    assert abs(back.decided_at - time.time()) < 5


def test_cookie_with_six_categories_fits_in_200_bytes() -> None:
    c = codec(policy="2026-11-23.a")
    value = c.encode(choice(KNOWN, policy="2026-11-23.a"))
    assert len(value) <= 200, len(value)


def test_tampered_cookie_is_no_choice() -> None:
    c = codec()
    value = c.encode(choice(frozenset()))
    forged = value.replace("~~", "~analytics-marketing~", 1)
    assert forged != value
    assert c.decode(forged) is None


def test_unknown_key_is_no_choice_but_rotated_keys_still_verify() -> None:
    old = codec(["o" * 32])
    value = old.encode(choice())
    assert codec(["n" * 32]).decode(value) is None
    rotated = codec(["n" * 32, "o" * 32])
    assert rotated.decode(value) is not None
    # the first key signs: a cookie from the rotated codec verifies with the new key alone
    assert codec(["n" * 32]).decode(rotated.encode(choice())) is not None


def test_expired_cookie_is_no_choice_even_from_the_cache() -> None:
    c = codec(max_age=60)
    value = c.encode(choice())
    assert c.decode(value) is not None  # now cached
    assert c.decode(value, now=time.time() + 61) is None


def test_older_policy_version_is_no_choice() -> None:
    value = codec(policy="1").encode(choice(policy="1"))
    assert codec(policy="2").decode(value) is None


def test_categories_no_longer_configured_are_dropped() -> None:
    c = ChoiceCodec(KEYS, "1", 3600, frozenset({"analytics"}))
    value = codec().encode(choice(frozenset({"analytics", "support"})))
    back = c.decode(value)
    assert back is not None and back.granted == {"analytics"}


@settings(max_examples=300)
@given(st.text(max_size=600))
def test_any_string_decodes_to_none_or_a_valid_choice(value: str) -> None:
    back = codec().decode(value)
    assert back is None


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_bytes_flipped_in_a_real_cookie_never_grant(noise: bytes) -> None:
    c = codec()
    value = c.encode(choice(frozenset()))
    mutated = value[: len(value) // 2] + noise.decode("latin-1") + value[len(value) // 2 + 1:]
    back = c.decode(mutated)
    assert back is None or back.granted == frozenset()
