"""The server-rendered banner: escaping, equal prominence, forms without JavaScript, signals."""

from __future__ import annotations

import json

import pytest

from banner.banner_markup import Markup, make_config, make_state
from consentkit.banner.i18n import shipped_texts, text_keys
from consentkit.banner.render import assets_html, banner_html, settings_link_html
from consentkit.config import DEFAULT_CATEGORIES, ConsentConfig

HOSTILE = "</script><script>alert(1)</script>\"'><img src=x onerror=alert(2)><!--&amp;"
ALLOWED_TAGS = {
    "script", "div", "h2", "p", "form", "input", "button", "ul", "li", "label", "span", "code", "a", "img",
    "noscript",
}


def hostile_config() -> ConsentConfig:
    texts = {key: HOSTILE + ("{category}" if "{category}" in shipped_texts("en")[key] else "")
             for key in text_keys()}
    categories = [
        c.model_copy(update={"title": HOSTILE, "description": HOSTILE, "cookies": (*c.cookies, HOSTILE)})
        for c in DEFAULT_CATEGORIES
    ]
    return make_config(
        categories=categories,
        banner={
            "texts": {"en": texts, "de": texts},
            "category_texts": {"de": {"analytics": {"title": HOSTILE, "description": HOSTILE}}},
            "privacy_url": "/privacy?x=\"><script>alert(3)</script>",
            "logo_url": "https://cdn.example/logo.png?\"onload=alert(4)",
            "colors": {"accent": "#123456"},
        },
    )


@pytest.mark.parametrize("lang", ["en", "de"])
def test_hostile_config_text_is_always_escaped(lang: str) -> None:
    config = hostile_config()
    state = make_state(config, None, gpc=True)
    html = banner_html(
        config, state, lang=lang, nonce='n"><script>alert(5)</script>',
        next_url="/p?q=\"><script>alert(6)</script>", pixel=True,
    )
    page = Markup(html)
    assert {e.tag for e in page.elements} <= ALLOWED_TAGS
    scripts = page.find("script")
    assert len(scripts) == 2  # Consent Mode default + the JSON page data, nothing injected
    assert all(not name.startswith("on") for e in page.elements for name in e.attrs)
    assert "<script>alert" not in html and "<img src=x" not in html
    # The hostile text is shown as text, not dropped: titles, descriptions, cookie names, buttons.
    assert page.by_id("ck-l1-title").text == HOSTILE
    assert page.one("label", for_="ck-c-analytics").text == HOSTILE
    assert page.by_id("ck-d-analytics").text == HOSTILE
    assert HOSTILE in [c.text for c in page.find("code")]
    assert all(b.text.startswith(HOSTILE) for b in page.find("button"))
    # The JSON block is data: it parses and carries the text verbatim.
    data = json.loads(page.by_id("consentkit-config").text)
    assert data["titles"]["analytics"] == HOSTILE and data["texts"]["saved"] == HOSTILE
    assert "<" not in page.by_id("consentkit-config").text
    # URLs land in attributes intact (and only there).
    assert page.one("a", href="/privacy?x=\"><script>alert(3)</script>").text == HOSTILE
    assert page.one("img", class_="ck-logo").attrs["src"] == "https://cdn.example/logo.png?\"onload=alert(4)"
    assert {s.attrs.get("nonce") for s in scripts} == {'n"><script>alert(5)</script>', None}


def test_first_layer_buttons_have_equal_prominence() -> None:
    config = make_config()
    page = Markup(banner_html(config, make_state(config)))
    for layer in ("ck-l1", "ck-l2"):
        buttons = [e for e in page.find("button") if e.within(layer)]
        assert len(buttons) == 3
        looks = {(b.tag, b.attrs["class"], b.attrs["type"]) for b in buttons}
        assert looks == {("button", "ck-btn", "submit")}
        assert all(b.parent is buttons[0].parent for b in buttons)
    first = [b.text for b in page.find("button") if b.within("ck-l1")]
    assert first == ["Accept all", "Reject all", "Choose"]


def test_forms_work_without_javascript() -> None:
    config = make_config(prefix="/consent")
    page = Markup(banner_html(config, make_state(config), next_url="/shop?q=shoes&page=2#top"))
    forms = page.find("form", method="post")
    assert len(forms) == 2 and all(f.attrs["action"] == "/consent" for f in forms)
    nexts = page.find("input", name="next")
    assert [n.attrs["value"] for n in nexts] == ["/shop?q=shoes&page=2"] * 2
    l1_actions = {b.attrs.get("value") for b in page.find("button", name="action") if b.within("ck-l1")}
    assert l1_actions == {"accept_all", "reject_all"}
    go = page.by_id("ck-go")
    assert go.attrs["method"] == "get" and go.attrs["action"] == "/shop#ck-l2"
    kept = {(i.attrs["name"], i.attrs["value"]) for i in page.elements if i.parent is go}
    assert kept == {("q", "shoes"), ("page", "2")}
    assert page.one("button", form="ck-go").text == "Choose"
    assert page.one("button", value="choose").within("ck-l2")
    assert page.one("a", class_="ck-back").attrs["href"] == "#"


def test_outside_next_url_becomes_root() -> None:
    config = make_config()
    page = Markup(banner_html(config, make_state(config), next_url="https://evil.example/"))
    assert {n.attrs["value"] for n in page.find("input", name="next")} == {"/"}


def test_second_layer_toggles() -> None:
    config = make_config(default_granted=["preferences"])
    page = Markup(banner_html(config, make_state(config)))
    boxes = {b.attrs["value"]: b for b in page.find("input", type="checkbox")}
    assert set(boxes) == {"necessary", "preferences", "analytics", "marketing", "chat"}
    necessary = boxes["necessary"].attrs
    assert "checked" in necessary and "disabled" in necessary
    assert page.one("input", type="hidden", name="grant").attrs["value"] == "necessary"
    # Nothing pre-ticked before a choice, not even what is in effect by default.
    assert [k for k, b in boxes.items() if "checked" in b.attrs] == ["necessary"]
    for key, box in boxes.items():
        label = page.one("label", for_=f"ck-c-{key}")
        assert label.text and box.attrs["aria-describedby"]
        for ref in str(box.attrs["aria-describedby"]).split():
            assert page.by_id(ref).text
    after = Markup(banner_html(config, make_state(config, {"analytics"})))
    ticked = [b.attrs["value"] for b in after.find("input", type="checkbox") if "checked" in b.attrs]
    assert ticked == ["necessary", "analytics"]
    assert "_ga" in [c.text for c in after.find("code")]


def test_dialog_aria_and_layers() -> None:
    config = make_config()
    page = Markup(banner_html(config, make_state(config)))
    l1, l2 = (page.one("div", role="dialog", **{"aria-labelledby": f"{x}-title"}) for x in ("ck-l1", "ck-l2"))
    assert "aria-modal" not in l1.attrs and l2.attrs["aria-modal"] == "true"
    assert page.by_id(str(l1.attrs["aria-describedby"])).text.startswith("We use cookies")
    assert "hidden" not in page.by_id("ck-l1").attrs
    assert "hidden" in page.one("a", class_="ck-fab").attrs
    modal = make_config(banner={"layout": "modal"})
    page = Markup(banner_html(modal, make_state(modal, set())))
    assert page.one("div", role="dialog", **{"aria-labelledby": "ck-l1-title"}).attrs["aria-modal"] == "true"
    assert "hidden" in page.by_id("ck-l1").attrs
    assert "hidden" not in page.one("a", class_="ck-fab").attrs
    assert page.by_id("consentkit-banner").attrs["class"] == "ck ck-modal"


@pytest.mark.parametrize(("mode", "floating"), [("floating", True), ("link", False), ("none", False)])
def test_settings_button_modes(mode: str, floating: bool) -> None:
    config = make_config(banner={"settings_button": mode})
    page = Markup(banner_html(config, make_state(config, set())))
    opener = page.find("a", href="#ck-l2")
    assert [a.attrs["class"] for a in opener] == (["ck-fab"] if floating else [])
    link = Markup(settings_link_html(config, lang="de")).one("a")
    assert link.attrs["href"] == "#ck-l2" and "data-consentkit-open" in link.attrs
    assert link.text == "Datenschutz-Einstellungen"


def test_gpc_is_explained_and_locks_covered_toggles() -> None:
    config = make_config()
    page = Markup(banner_html(config, make_state(config, {"analytics"}, gpc=True)))
    notices = page.find("p", class_="ck-signal")
    assert len(notices) == 2 and "Global Privacy Control" in notices[0].text
    box = page.one("input", value="analytics").attrs
    assert "disabled" in box and "checked" not in box
    assert page.by_id("ck-n-analytics").text == shipped_texts("en")["off_by_signal"]
    dnt = Markup(banner_html(config, make_state(config, None, dnt=True)))
    assert "Do Not Track" in dnt.find("p", class_="ck-signal")[0].text
    plain = Markup(banner_html(config, make_state(config)))
    assert plain.find("p", class_="ck-signal") == []


def test_gpc_with_override_allowed_keeps_toggles_usable() -> None:
    config = make_config(signals={"explicit_optin_overrides": True})
    page = Markup(banner_html(config, make_state(config, None, gpc=True)))
    box = page.one("input", value="analytics").attrs
    assert "disabled" not in box and "checked" not in box
    assert shipped_texts("en")["signal_override"] in page.find("p", class_="ck-signal")[0].text


def test_consent_mode_default_comes_first_with_nonce() -> None:
    config = make_config()
    html = banner_html(config, make_state(config, {"analytics"}), nonce="abc123")
    assert html.startswith('<script nonce="abc123">window.dataLayer=window.dataLayer||[];')
    call = html[html.index('"default",') + 10: html.index(");</script>")]
    values = json.loads(call)
    assert values["analytics_storage"] == "granted" and values["security_storage"] == "granted"
    assert values["ad_storage"] == values["ad_user_data"] == values["ad_personalization"] == "denied"
    assert values["functionality_storage"] == "denied" and values["wait_for_update"] == 500
    off = make_config(banner={"consent_mode": {}})
    page = Markup(banner_html(off, make_state(off)))
    assert [s.attrs.get("type") for s in page.find("script")] == ["application/json"]
    assert "dataLayer" not in banner_html(config, make_state(config), gtag_default=False)


def test_consent_mode_type_needs_all_its_categories() -> None:
    config = make_config(banner={"consent_mode": {"ad_storage": ["marketing", "analytics"]}})
    html = banner_html(config, make_state(config, {"marketing"}))
    assert '"ad_storage":"denied"' in html
    html = banner_html(config, make_state(config, {"marketing", "analytics"}))
    assert '"ad_storage":"granted"' in html


def test_page_data_for_the_script() -> None:
    config = make_config(banner={"colors": {"accent": "#112233"}, "dark_colors": {"text": "rgb(1 2 3)"}})
    page = Markup(banner_html(config, make_state(config, {"analytics"}), lang="fr"))
    data = json.loads(page.by_id("consentkit-config").text)
    assert data["prefix"] == "/_consent" and data["lang"] == "fr" and data["measure"] == "analytics"
    assert data["state"]["effective"] == ["analytics", "necessary"] and data["state"]["choice_made"] is True
    assert data["state"]["override_allowed"] is False
    assert [c["key"] for c in data["state"]["categories"]][:2] == ["necessary", "preferences"]
    assert data["colors"] == {"l-ac": "#112233", "d-fg": "rgb(1 2 3)"}
    assert data["texts"]["embed_load"] == "Autoriser et charger"
    assert data["gtag"]["analytics_storage"] == ["analytics"]


def test_language_and_direction() -> None:
    config = make_config()
    state = make_state(config)
    root = Markup(banner_html(config, state, accept_language="de-CH, en;q=0.5")).by_id("consentkit-banner")
    assert root.attrs["lang"] == "de" and root.attrs["dir"] == "ltr"
    page = Markup(banner_html(config, state, lang="ar", accept_language="de"))
    assert page.by_id("consentkit-banner").attrs["dir"] == "rtl"
    assert page.by_id("ck-l1-title").text == shipped_texts("ar")["title"]
    assert {i.attrs["value"] for i in page.find("input", name="lang")} == {"ar"}


def test_default_categories_speak_the_banner_language() -> None:
    config = make_config()
    page = Markup(banner_html(config, make_state(config), lang="de"))
    de = shipped_texts("de")
    assert page.one("label", for_="ck-c-analytics").text == de["category.analytics.title"] == "Statistik"
    assert page.by_id("ck-d-necessary").text == de["category.necessary.description"]
    titles = json.loads(page.by_id("consentkit-config").text)["titles"]
    assert titles["chat"] == de["category.chat.title"]  # the embed placeholder names categories with these


def test_dock_holds_the_floating_button_and_the_notice() -> None:
    config = make_config()
    page = Markup(banner_html(config, make_state(config, set())))
    dock = page.one("div", class_="ck-dock")
    assert dock.parent is not None and dock.parent.attrs["id"] == "consentkit-banner"
    assert page.one("a", class_="ck-fab").parent is dock
    status = page.one("p", role="status")
    assert status.parent is not None and status.parent.attrs["class"] == "ck-dock-end"
    assert status.parent.parent is dock


def test_pixel_only_on_request() -> None:
    config = make_config()
    state = make_state(config)
    assert "<noscript>" not in banner_html(config, state, next_url="/a b")
    img = Markup(banner_html(config, state, next_url="/caf\u00e9?x=1", pixel=True)).one("img")
    assert img.attrs["src"] == "/_consent/pixel.gif?p=/caf%C3%A9" and img.attrs["alt"] == ""


def test_disabled_banner_renders_nothing() -> None:
    config = make_config(banner={"enabled": False})
    assert banner_html(config, make_state(config)) == ""
    assert assets_html(config) == ""


def test_assets_html_has_versioned_urls_and_nonce() -> None:
    page = Markup(assets_html(make_config(prefix="/ck"), nonce="xyz"))
    link, script = page.one("link"), page.one("script")
    assert str(link.attrs["href"]).startswith("/ck/banner.css?v=") and link.attrs["rel"] == "stylesheet"
    assert str(script.attrs["src"]).startswith("/ck/banner.js?v=")
    assert "defer" in script.attrs and script.attrs["nonce"] == "xyz"
