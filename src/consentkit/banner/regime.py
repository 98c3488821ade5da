"""What the banner does under a site's regional regimes: the variant each regime shows, the texts
only a variant shows, and Google Consent Mode defaults per region (gtag's `region` parameter), so
that a page served from a shared cache still starts with the right defaults for its visitor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consentkit.banner.i18n import primary
from consentkit.htmlsafe import escape
from consentkit.policy import RegimeMode, decide
from consentkit.signals import NO_SIGNALS

if TYPE_CHECKING:
    from consentkit.config import ConsentConfig
    from consentkit.consent import ConsentState
    from consentkit.regions import Regime

VARIANT_TEXTS: dict[str, frozenset[str]] = {
    "opt_out": frozenset({"optout_intro", "optout_link", "gpc_optout_notice", "dismiss"}),
    "notice": frozenset({"notice_intro", "dismiss"}),
}
"""Text keys shown only in a variant's banner (left out of what the opt_in banner is said to show)."""
ALL_VARIANT_TEXTS = frozenset().union(*VARIANT_TEXTS.values())

OPT_OUT_ICON = (
    '<svg class="ck-optout-icon" viewBox="0 0 30 14" width="30" height="14" aria-hidden="true" focusable="false">'
    '<rect x="0.5" y="0.5" width="29" height="13" rx="6.5" fill="#fff" stroke="#0066ff"/>'
    '<path d="M15 0.5h8a6.5 6.5 0 0 1 0 13h-11z" fill="#0066ff"/>'
    '<path d="M4.5 7.2l2.3 2.3 4.2-4.6" fill="none" stroke="#0066ff" stroke-width="1.6" stroke-linecap="round"/>'
    '<path d="M18.6 4.6l4.6 4.8M23.2 4.6l-4.6 4.8" stroke="#fff" stroke-width="1.6" stroke-linecap="round"/>'
    "</svg>"
)
"""The opt-out icon of the California privacy regulations (§7015): a toggle, check and cross."""


def regime_named(config: ConsentConfig, name: str | None) -> Regime | None:
    regions = config.regions
    if regions is None or name is None:
        return None
    return next((r for r in (*regions.regimes, regions.fallback) if r.name == name), None)


def mode_of(config: ConsentConfig, state: ConsentState) -> RegimeMode:
    """The mode of the regime `state` was decided under ("opt_in" for a site without regions)."""
    # not `state.regime`: the banner's own look is no read of the consent by the app
    regime = regime_named(config, state._effective.regime)
    return regime.mode if regime is not None else "opt_in"


def with_regime_texts(regime: Regime | None, lang: str, texts: dict[str, str]) -> dict[str, str]:
    """`texts` (in `lang`) with the regime's own texts over them, layered as `texts_in` layers."""
    if regime is None or not regime.texts:
        return texts
    out = dict(texts)
    prim = primary(lang)
    for layer in (prim, lang) if prim != lang else (lang,):
        out.update(regime.texts.get(layer, {}))
    return out


def optout_icon(config: ConsentConfig) -> str:
    """The opt-out icon's markup as the banner's settings say: the shipped one, the site's, or none."""
    banner = config.banner
    if not banner.optout_icon:
        return ""
    if banner.optout_icon_url:
        return f'<img class="ck-optout-icon" src="{escape(banner.optout_icon_url)}" alt="" width="30" height="14">'
    return OPT_OUT_ICON


def regional_defaults(config: ConsentConfig) -> list[tuple[tuple[str, ...], frozenset[str]]]:
    """(places, the categories in effect there before any choice and without signals), one per
    regime with places, in the configuration's order, then the fallback's with no places."""
    regions = config.regions
    if regions is None:
        return []
    out = []
    for regime in (*regions.regimes, regions.fallback):
        rules = config.regime_rules[regime.name]
        places = regime.places if regime is not regions.fallback else ()
        if regime is regions.fallback or places:
            out.append((places, decide(None, NO_SIGNALS, rules).categories))
    return out


def consent_mode_calls(
    config: ConsentConfig, state_values: dict[str, Any], values_of: Any
) -> list[tuple[str, dict[str, Any]]]:
    """The gtag consent calls of a page under regional regimes: a default per regime's places,
    the fallback's without a region, then an update with this visitor's values when they differ
    from their regime's defaults (a choice or a signal), so that the update wins over the
    defaults of the visitor's own region."""
    calls: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for places, effective in regional_defaults(config):
        values = dict(values_of(effective))
        values["wait_for_update"] = config.banner.consent_mode_wait_ms
        fresh = [p for p in places if p not in seen]  # the first regime listing a place wins, as on the server
        seen.update(fresh)
        if places and not fresh:
            continue
        if places:
            values["region"] = fresh
        calls.append(("default", values))
    calls.append(("update", state_values))
    return calls
