"""The banner under regional regimes, rendered on the server: the variant of the visitor's regime,
its texts in the banner's languages, and Google Consent Mode defaults per region."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from consentkit import ConsentConfig
from consentkit.banner import i18n
from consentkit.banner.render import banner_html, consent_default_html
from consentkit.banner.texts import texts_for
from consentkit.engine import Engine
from consentkit.http import RequestView

KEY = "k" * 40
CITY = Path(__file__).resolve().parents[1] / "data" / "maxmind" / "GeoIP2-City-Test.mmdb"


def engine(**overrides: Any) -> Engine:
    data: dict[str, Any] = {"secret_keys": [KEY], "storage_url": "sqlite://:memory:",
                            "trusted_proxies": ["127.0.0.0/8"], "regions": {"edge": "cloudflare"}}
    data.update(overrides)
    return Engine(ConsentConfig(**data))


def state_for(e: Engine, country: str, region: str = "", **headers: str) -> Any:
    h = {"cf-ipcountry": country, "cf-region-code": region, "host": "shop.example", **headers}
    return e.begin(RequestView("GET", "/", "", h, "127.0.0.1")).state


def gtag_calls(html: str) -> list[tuple[str, dict[str, Any]]]:
    return [(kind, json.loads(body)) for kind, body in re.findall(r'gtag\("consent","(\w+)",(\{.*?\})\);', html)]


def test_each_regime_gets_its_variant() -> None:
    e = engine()
    ca = banner_html(e.config, state_for(e, "US", "CA"))
    de = banner_html(e.config, state_for(e, "DE"))
    assert 'data-mode="opt_out"' in ca and "Do Not Sell or Share My Personal Information" in ca
    assert 'class="ck-optout-icon"' in ca and 'value="accept_all"' not in ca.split('id="ck-l1"')[1]
    assert 'data-mode' not in de and 'value="accept_all"' in de.split('id="ck-l1"')[1]
    notice = engine(regions={"edge": "cloudflare", "fallback": {"name": "rest", "mode": "notice"}})
    br = banner_html(notice.config, state_for(notice, "BR"))
    assert 'data-mode="notice"' in br and i18n.shipped_texts("en")["notice_intro"].split("“")[0] in br
    # before a choice, the switches show what is in effect under opt_out
    assert re.search(r'id="ck-c-marketing"[^>]*checked', ca)
    assert not re.search(r'id="ck-c-marketing"[^>]*checked', de)
    e.close()
    notice.close()


def test_gpc_notice_in_the_opt_out_regime() -> None:
    e = engine()
    html = banner_html(e.config, state_for(e, "US", "CA", **{"sec-gpc": "1"}))
    assert i18n.shipped_texts("en")["gpc_optout_notice"] in html
    e.close()


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_variant_texts_come_in_the_banners_languages(lang: str) -> None:
    e = engine(banner={"texts": {"fr": {"optout_link": "Vos choix en matière de confidentialité"}}})
    html = banner_html(e.config, state_for(e, "US", "CA"), lang=lang)
    wanted = ("Vos choix en matière de confidentialité" if lang == "fr"
              else i18n.shipped_texts(lang)["optout_link"])
    assert wanted in html
    e.close()


def test_the_opt_in_fingerprint_is_unchanged_by_the_variant_texts() -> None:
    cfg = ConsentConfig(secret_keys=[KEY], storage_url="sqlite://:memory:")
    shown = texts_for(cfg, "en")
    # Written out, not ALL_VARIANT_TEXTS: texts_for leaves out that very set, so it would always hold.
    assert not {"optout_intro", "optout_link", "gpc_optout_notice", "dismiss", "notice_intro"} & set(shown)
    assert set(shown) >= {"title", "accept_all", "reject_all"}
    regional = ConsentConfig(secret_keys=[KEY], storage_url="sqlite://:memory:", regions={})
    assert texts_for(regional, "en", "gdpr") == shown
    assert {"optout_link", "optout_intro"} <= set(texts_for(regional, "en", "us_opt_out"))


def test_a_regime_words_its_own_texts_and_the_icon_is_configurable() -> None:
    regions = {"edge": "cloudflare", "regimes": [
        {"name": "california", "places": ["US-CA"], "mode": "opt_out",
         "texts": {"en": {"optout_link": "Your California Privacy Choices"}, "es": {"dismiss": "Vale"}}},
        {"name": "colorado", "places": ["US-CO"], "mode": "opt_out"},
    ]}
    e = engine(regions=regions, banner={"optout_icon_url": "/static/privacyoptions.svg"})
    ca = banner_html(e.config, state_for(e, "US", "CA"))
    co = banner_html(e.config, state_for(e, "US", "CO"))
    assert "Your California Privacy Choices" in ca and "Your California Privacy Choices" not in co
    assert "Do Not Sell or Share My Personal Information" in co
    assert '<img class="ck-optout-icon" src="/static/privacyoptions.svg"' in ca
    es = banner_html(e.config, state_for(e, "US", "CA"), lang="es")
    assert ">Vale</button>" in es and i18n.shipped_texts("es")["optout_link"] in es
    assert texts_for(e.config, "en", "california")["optout_link"] == "Your California Privacy Choices"
    e.close()
    bare = engine(banner={"optout_icon": False})
    assert "ck-optout-icon" not in banner_html(bare.config, state_for(bare, "US", "CA"))
    bare.close()
    with pytest.raises(ValueError, match="must contain exactly"):
        ConsentConfig(secret_keys=[KEY], storage_url="sqlite://:memory:", regions={"regimes": [
            {"name": "x", "texts": {"en": {"embed_text": "no placeholder"}}}]})


def test_consent_mode_defaults_per_region() -> None:
    e = engine()
    calls = gtag_calls(consent_default_html(e.config, state_for(e, "DE")))
    defaults = [v for kind, v in calls if kind == "default"]
    assert [kind for kind, _ in calls] == ["default", "default", "default"]  # no update: nobody chose
    gdpr, us, fallback = defaults
    assert "DE" in gdpr["region"] and "GB" in gdpr["region"] and gdpr["analytics_storage"] == "denied"
    assert "US-CA" in us["region"] and us["ad_storage"] == "granted" and us["analytics_storage"] == "granted"
    assert "region" not in fallback and fallback["analytics_storage"] == "denied"
    assert all(v["security_storage"] == "granted" and v["wait_for_update"] == 500 for v in defaults)
    # a visitor who chose, or whose signal took something away, gets their own values as an update
    gpc = gtag_calls(consent_default_html(e.config, state_for(e, "US", "CA", **{"sec-gpc": "1"})))
    assert gpc[-1][0] == "update" and gpc[-1][1]["ad_storage"] == "denied"
    assert gpc[-1][1]["analytics_storage"] == "granted"
    e.close()


def test_consent_mode_without_regions_is_one_default() -> None:
    cfg = ConsentConfig(secret_keys=[KEY], storage_url="sqlite://:memory:")
    e = Engine(cfg)
    state = e.begin(RequestView("GET", "/", "", {"host": "x"}, "127.0.0.1")).state
    calls = gtag_calls(consent_default_html(cfg, state))
    assert [kind for kind, _ in calls] == ["default"] and "region" not in calls[0][1]
    e.close()


def test_the_footer_link_is_the_opt_out_link_under_opt_out() -> None:
    from consentkit.banner.render import settings_link_html

    e = engine()
    ca = settings_link_html(e.config, state=state_for(e, "US", "CA"))
    de = settings_link_html(e.config, state=state_for(e, "DE"))
    assert "Do Not Sell or Share My Personal Information" in ca and "ck-optout-icon" in ca
    assert ">Privacy settings</a>" in de and de == settings_link_html(e.config)
    e.close()
