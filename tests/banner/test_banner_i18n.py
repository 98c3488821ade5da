"""Shipped locales and picking the visitor's language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentkit.banner import i18n
from consentkit.banner import texts as banner_texts
from consentkit.banner.settings import BannerConfig
from consentkit.chat import ChatConfig
from consentkit.config import DEFAULT_CATEGORIES, ConsentConfig

LOCALES = Path(i18n.__file__).parent / "locales"
REQUIRED = {"en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "ar"}
BANNER = BannerConfig()


def test_at_least_the_promised_languages_ship() -> None:
    assert set(i18n.shipped_languages()) >= REQUIRED
    assert set(i18n.shipped_languages()) == {p.stem for p in LOCALES.glob("*.json")}


@pytest.mark.parametrize("path", sorted(LOCALES.glob("*.json")), ids=lambda p: p.stem)
def test_every_locale_has_exactly_the_english_keys(path: Path) -> None:
    en = json.loads((LOCALES / "en.json").read_text("utf-8"))
    data = json.loads(path.read_text("utf-8"))
    assert set(data) == set(en)
    for key, text in data.items():
        assert isinstance(text, str) and text.strip(), key
        assert i18n.placeholders(text) == i18n.placeholders(en[key]), key
        assert "<" not in text and ">" not in text, key


def test_translations_differ_from_english() -> None:
    en = i18n.shipped_texts("en")
    for lang in set(i18n.shipped_languages()) - {"en"}:
        assert i18n.shipped_texts(lang)["accept_all"] != en["accept_all"], lang


@pytest.mark.parametrize(
    ("lang", "header", "expected"),
    [
        ("de", "fr", "de"),  # the page's language wins
        ("de-AT", "", "de"),  # region falls back to the language
        ("pt_BR", "", "pt"),
        ("xx", "fr-CA,fr;q=0.8", "fr"),  # no texts for the page language: Accept-Language
        (None, "da;q=0.5, nl;q=0.9, *;q=1", "nl"),  # by q, '*' ignored
        (None, "de;q=0, es", "es"),  # q=0 means "not this one"
        (None, "de;q=0", "en"),
        (None, "sv;q=abc, it", "it"),  # a malformed q drops that range
        (None, "", "en"),
        ("", "ar-EG", "ar"),
    ],
)
def test_pick_language(lang: str | None, header: str, expected: str) -> None:
    assert banner_texts.pick_language(BANNER, lang, header) == expected


def test_configured_languages_and_regions() -> None:
    texts = {"ja": {"title": "プライバシー"}, "pt-BR": {"accept_all": "Aceitar todos"}}
    banner = BannerConfig(default_language="fr", texts=texts)
    assert banner_texts.pick_language(banner, None, "ja-JP") == "ja"
    assert banner_texts.pick_language(banner, "pt-BR") == "pt-br"
    assert banner_texts.pick_language(banner, "pt-PT") == "pt"
    assert banner_texts.pick_language(banner, None, "zh") == "fr"
    br = banner_texts.texts_in(banner, "pt-br")
    assert br["accept_all"] == "Aceitar todos" and br["reject_all"] == i18n.shipped_texts("pt")["reject_all"]
    ja = banner_texts.texts_in(banner, "ja")
    assert ja["title"] == "プライバシー" and ja["save"] == i18n.shipped_texts("en")["save"]


def test_direction() -> None:
    assert [i18n.direction(x) for x in ("ar", "he-IL", "FA", "ur", "en", "de")] == ["rtl"] * 4 + ["ltr"] * 2


def test_texts_for_fingerprints_category_texts() -> None:
    config = ConsentConfig(
        secret_keys=["x" * 32], storage_url="sqlite://:memory:",
        banner={"category_texts": {"de": {"analytics": {"title": "Statistik", "description": "Zählt"}}}},
    )
    de = banner_texts.texts_for(config, "de-DE")
    assert de["lang"] == "de" and de["category.analytics.title"] == "Statistik"
    assert de["category.marketing.title"] == "Marketing" and de["accept_all"] == "Alle akzeptieren"
    assert de["category.preferences.title"] == "Präferenzen"  # a default category, translated
    assert banner_texts.texts_for(config, None)["category.analytics.title"] == "Analytics"


@given(st.text(max_size=300), st.one_of(st.none(), st.text(max_size=40)))
def test_pick_language_never_fails_and_stays_available(header: str, lang: str | None) -> None:
    picked = banner_texts.pick_language(BANNER, lang, header)
    assert picked in banner_texts.available_languages(BANNER)


LANGS = sorted(REQUIRED)


@given(st.lists(st.tuples(st.sampled_from(LANGS), st.integers(1, 1000)), min_size=1, max_size=8,
                unique_by=lambda t: t[1]))
def test_highest_q_wins(ranges: list[tuple[str, int]]) -> None:
    header = ", ".join(f"{lang}-XX;q={q / 1000:.3f}" for lang, q in ranges)
    best = max(ranges, key=lambda t: t[1])[0]
    assert banner_texts.pick_language(BANNER, None, header) == best


@given(st.sampled_from(LANGS), st.lists(st.sampled_from(LANGS), max_size=5))
def test_equal_q_keeps_header_order(first: str, rest: list[str]) -> None:
    assert banner_texts.pick_language(BANNER, None, ",".join([first, *rest])) == first


DEFAULT_KEYS = [c.key for c in DEFAULT_CATEGORIES]


def test_english_locale_holds_the_configured_defaults_word_for_word() -> None:
    # The shipped translation replaces a configured text only when it equals this English text.
    en = i18n.shipped_texts("en")
    for cat in DEFAULT_CATEGORIES:
        assert en[f"category.{cat.key}.title"] == cat.title
        assert en[f"category.{cat.key}.description"] == cat.description
    chat = ChatConfig()
    assert (en["chat_text"], en["chat_button"]) == (chat.placeholder_text, chat.placeholder_button)


def test_category_keys_are_not_overridable_texts() -> None:
    assert not any(k.startswith("category.") for k in i18n.text_keys())
    assert {"chat_text", "chat_button"} <= i18n.text_keys()
    with pytest.raises(ValueError, match=r"unknown text key 'category\.analytics\.title'"):
        BannerConfig(texts={"de": {"category.analytics.title": "x"}})


@pytest.mark.parametrize("lang", sorted(set(i18n.shipped_languages()) - {"en"}))
def test_every_language_translates_the_default_categories_and_the_chat(lang: str) -> None:
    config = ConsentConfig(secret_keys=["x" * 32], storage_url="sqlite://:memory:",
                           chat={"provider": "livechat", "site_id": "12345678"})
    shown = banner_texts.texts_for(config, lang)
    english = banner_texts.texts_for(config, "en")
    assert shown["lang"] == lang
    # Words such as "Marketing" are the same in several languages; the descriptions never are.
    for key in DEFAULT_KEYS:
        assert shown[f"category.{key}.description"] != english[f"category.{key}.description"], key
    assert shown["chat_text"] != english["chat_text"] and shown["chat_button"] != english["chat_button"]
    assert banner_texts.chat_wording(config, lang) == (shown["chat_text"], shown["chat_button"])


def test_site_wording_wins_over_the_shipped_translations() -> None:
    own = [c.model_copy(update={"title": "Besucherzahlen"}) if c.key == "analytics" else c
           for c in DEFAULT_CATEGORIES]
    config = ConsentConfig(
        secret_keys=["x" * 32], storage_url="sqlite://:memory:", categories=own,
        chat={"provider": "livechat", "site_id": "12345678", "placeholder_button": "Chat starten"},
        banner={"category_texts": {"de": {"marketing": {"title": "Werbung", "description": ""}}}},
    )
    de = banner_texts.texts_for(config, "de")
    de_texts = i18n.shipped_texts("de")
    assert de["category.analytics.title"] == "Besucherzahlen"  # the site's own title, in every language
    assert de["category.analytics.description"] == de_texts["category.analytics.description"]  # left as shipped
    assert (de["category.marketing.title"], de["category.marketing.description"]) == ("Werbung", "")
    assert de["category.preferences.title"] == de_texts["category.preferences.title"]
    assert (de["chat_text"], de["chat_button"]) == (de_texts["chat_text"], "Chat starten")


def test_fingerprint_holds_only_what_is_shown() -> None:
    few = [c for c in DEFAULT_CATEGORIES if c.key in ("necessary", "analytics")]
    plain = ConsentConfig(secret_keys=["x" * 32], storage_url="sqlite://:memory:", categories=few)
    shown = banner_texts.texts_for(plain, "de")
    assert {k for k in shown if k.startswith("category.")} == {
        f"category.{k}.{f}" for k in ("necessary", "analytics") for f in ("title", "description")}
    assert "chat_text" not in shown and "chat_button" not in shown  # no chat, no placeholder
    assert shown["category.analytics.title"] == i18n.shipped_texts("de")["category.analytics.title"]


@pytest.mark.parametrize("lang", ["en", "de", "de-at", "pt-br", "ja", "ar"])
def test_one_text_is_the_same_as_in_the_whole_set(lang: str) -> None:
    banner = BannerConfig(texts={
        "pt-br": {"chat_button": "Permitir e abrir o bate-papo"}, "ja": {"title": "プライバシー"},
        "de": {"chat_text": "Mit uns chatten."},
    })
    whole = banner_texts.texts_in(banner, lang)
    assert {key: banner_texts.text_in(banner, lang, key) for key in whole} == whole
