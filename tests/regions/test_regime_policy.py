"""The decision under regional regimes (`policy.regime_rules` feeding `policy.decide`)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.policy import RegimeMode, Rules, decide, regime_rules
from consentkit.signals import Signals

CATS = ["necessary", "preferences", "analytics", "marketing", "chat", "x"]
subsets = st.frozensets(st.sampled_from(CATS))
signals = st.builds(Signals, st.booleans(), st.booleans())
modes: st.SearchStrategy[RegimeMode] = st.sampled_from(["opt_in", "opt_out", "notice"])


@st.composite
def regimes(draw: st.DrawFn) -> tuple[Rules, RegimeMode, frozenset[str], frozenset[str] | None, frozenset[str]]:
    """(the site's rules, the regime's mode, optional categories, the regime's defaults, sale/sharing)."""
    required = draw(subsets)
    optional = frozenset(CATS) - required
    site = Rules(
        required=required, default=draw(subsets) - required, dnt_denies=draw(subsets) - required,
        gpc_denies=draw(subsets) - required, explicit_optin_overrides=draw(st.booleans()),
    )
    default = draw(st.none() | subsets)
    return site, draw(modes), optional, default, draw(subsets) & optional


def _denied(site: Rules, mode: RegimeMode, sale: frozenset[str], s: Signals) -> frozenset[str]:
    """What the regime's rules and the visitor's signals deny, written out from docs/regions.md."""
    out: frozenset[str] = frozenset()
    if s.dnt:
        out |= site.dnt_denies
    if s.gpc:
        out |= (sale or site.gpc_denies) if mode == "opt_out" else site.gpc_denies
    return out - site.required


@settings(max_examples=1000)
@given(regimes(), st.none() | subsets, signals, st.none() | signals)
def test_never_grants_what_the_regime_and_the_signals_deny(
    regime: tuple[Rules, RegimeMode, frozenset[str], frozenset[str] | None, frozenset[str]],
    granted: frozenset[str] | None, s: Signals, cs: Signals | None,
) -> None:
    site, mode, optional, default, sale = regime
    rules = regime_rules(site, "r", mode, optional, default, sale)
    eff = decide(granted, s, rules, cs)
    denied = _denied(site, mode, sale, s)
    confirmed = (
        site.explicit_optin_overrides and granted is not None and cs is not None
        and (not s.dnt or cs.dnt) and (not s.gpc or cs.gpc)
    )
    allowed_by_override = (granted or frozenset()) if confirmed else frozenset()
    assert not (eff.categories & denied) - allowed_by_override
    # nothing in effect but the required, the visitor's explicit grant, or the regime's defaults
    before = (site.default if default is None else default) if mode == "opt_in" else (
        optional if default is None else default)
    assert eff.categories <= site.required | (before if granted is None else granted)
    assert site.required <= eff.categories
    assert eff.regime == "r"
    if mode == "opt_in" and default is None and granted is None:  # today's rules, unchanged
        assert eff.categories <= site.required | site.default


@settings(max_examples=500)
@given(regimes(), regimes(), subsets, signals)
def test_a_traveller_keeps_their_choice(
    here: tuple[Rules, RegimeMode, frozenset[str], frozenset[str] | None, frozenset[str]],
    there: tuple[Rules, RegimeMode, frozenset[str], frozenset[str] | None, frozenset[str]],
    granted: frozenset[str], s: Signals,
) -> None:
    """Without signals an explicit choice decides alone, whatever the regime; the defaults only
    fill in for a visitor who has not chosen."""
    site, _, optional, _, sale = here
    a = regime_rules(site, "a", here[1], optional, here[3], sale)
    b = regime_rules(site, "b", there[1], optional, there[3], sale)
    none = Signals()
    assert decide(granted, none, a).categories == decide(granted, none, b).categories == granted | site.required
    assert decide(None, none, a).categories == a.default | site.required
    assert decide(None, none, b).categories == b.default | site.required


def test_gpc_in_an_opt_out_regime_denies_only_sale_or_sharing() -> None:
    site = Rules(required=frozenset({"necessary"}), default=frozenset(),
                 dnt_denies=frozenset({"analytics", "marketing"}), gpc_denies=frozenset({"analytics", "marketing"}))
    optional = frozenset({"analytics", "marketing"})
    us = regime_rules(site, "us", "opt_out", optional, None, frozenset({"marketing"}))
    eu = regime_rules(site, "eu", "opt_in", optional, None, frozenset({"marketing"}))
    gpc = Signals(gpc=True)
    assert decide(None, Signals(), us).categories == {"necessary", "analytics", "marketing"}
    assert decide(None, gpc, us).categories == {"necessary", "analytics"}
    assert decide(None, gpc, us).denied_by_signal == {"marketing"}
    assert decide(None, Signals(), eu).categories == {"necessary"}
    assert decide(frozenset({"analytics", "marketing"}), gpc, eu).categories == {"necessary"}
    assert decide(frozenset({"analytics", "marketing"}), gpc, us).conflict == {"marketing"}
    # a site that marks nothing as sale or sharing: GPC still opts out of what the site says it covers
    bare = regime_rules(site, "us", "opt_out", optional, None, frozenset())
    assert decide(None, gpc, bare).categories == {"necessary"}
    # notice: on by default, the site's signal rules as in opt_in
    notice = regime_rules(site, "n", "notice", optional, frozenset({"analytics"}), frozenset({"marketing"}))
    assert decide(None, Signals(), notice).categories == {"necessary", "analytics"}
    assert decide(None, gpc, notice).categories == {"necessary"}
