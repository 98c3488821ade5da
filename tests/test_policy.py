from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.policy import Rules, decide
from consentkit.signals import Signals

CATS = ["necessary", "preferences", "analytics", "marketing", "chat", "x"]
subsets = st.frozensets(st.sampled_from(CATS))


@st.composite
def rules(draw: st.DrawFn) -> Rules:
    required = draw(subsets)
    return Rules(
        required=required,
        default=draw(subsets),
        dnt_denies=draw(subsets) - required,
        gpc_denies=draw(subsets) - required,
        explicit_optin_overrides=draw(st.booleans()),
    )


signals = st.builds(Signals, st.booleans(), st.booleans())


@settings(max_examples=500)
@given(rules(), st.none() | subsets, signals, st.none() | signals)
def test_required_always_in_effect(r: Rules, granted: frozenset[str] | None, s: Signals, cs: Signals | None) -> None:
    assert r.required <= decide(granted, s, r, cs).categories


@settings(max_examples=500)
@given(rules(), st.none() | subsets, signals, st.none() | signals)
def test_in_effect_only_if_granted_required_or_default(
    r: Rules, granted: frozenset[str] | None, s: Signals, cs: Signals | None
) -> None:
    eff = decide(granted, s, r, cs).categories
    source = r.required | (r.default if granted is None else granted)
    assert eff <= source


@settings(max_examples=500)
@given(rules(), st.none() | subsets, signals, st.none() | signals)
def test_signal_removes_what_it_covers_unless_the_override_applies(
    r: Rules, granted: frozenset[str] | None, s: Signals, cs: Signals | None
) -> None:
    eff = decide(granted, s, r, cs)
    covered = (r.dnt_denies if s.dnt else frozenset()) | (r.gpc_denies if s.gpc else frozenset())
    override = (
        r.explicit_optin_overrides and granted is not None and cs is not None
        and (not s.dnt or cs.dnt) and (not s.gpc or cs.gpc)
    )
    if override:
        assert covered & eff.categories <= (granted or frozenset())
    else:
        assert not (covered & eff.categories)


def test_gpc_wins_over_an_earlier_allow_and_reports_the_conflict() -> None:
    r = Rules(frozenset({"necessary"}), frozenset(), frozenset(), frozenset({"analytics", "marketing"}))
    eff = decide(frozenset({"analytics"}), Signals(gpc=True), r, Signals())
    assert eff.categories == {"necessary"}
    assert eff.conflict == {"analytics"}


def test_override_lets_an_optin_given_under_gpc_stand_but_not_one_given_before() -> None:
    r = Rules(frozenset({"necessary"}), frozenset(), frozenset(), frozenset({"analytics"}), True)
    assert "analytics" in decide(frozenset({"analytics"}), Signals(gpc=True), r, Signals(gpc=True)).categories
    assert "analytics" not in decide(frozenset({"analytics"}), Signals(gpc=True), r, Signals()).categories


def test_no_signal_later_is_not_an_optin() -> None:
    r = Rules(frozenset({"necessary"}), frozenset(), frozenset({"analytics"}), frozenset({"analytics"}))
    assert decide(None, Signals(), r).categories == {"necessary"}
    assert decide(frozenset(), Signals(), r).categories == {"necessary"}


@settings(max_examples=500)
@given(rules(), st.none() | subsets, signals, st.none() | signals)
def test_per_visitor_data_only_without_a_signal_or_with_an_optin_given_under_it(
    r: Rules, granted: frozenset[str] | None, s: Signals, cs: Signals | None
) -> None:
    stands = (
        r.explicit_optin_overrides and granted is not None and cs is not None
        and (cs.dnt or not s.dnt) and (cs.gpc or not s.gpc)
    )
    assert decide(granted, s, r, cs).per_visitor == (not (s.dnt or s.gpc) or stands)


def test_an_optin_given_before_gpc_keeps_nothing_per_visitor_even_for_required_categories() -> None:
    r = Rules(frozenset({"necessary"}), frozenset(), frozenset(), frozenset({"analytics"}), True)
    before = decide(frozenset({"analytics"}), Signals(gpc=True), r, Signals())
    assert "necessary" in before.categories and not before.per_visitor
    under = decide(frozenset({"analytics"}), Signals(gpc=True), r, Signals(gpc=True))
    assert under.per_visitor and "analytics" in under.categories
