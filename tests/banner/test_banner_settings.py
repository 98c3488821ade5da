"""BannerConfig validation: every mistake is refused at start-up with a message naming its key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from consentkit.banner.settings import BannerConfig, css_color
from consentkit.config import ConsentConfig
from consentkit.configfile import load_config
from consentkit.errors import ConfigError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "banner.md"


def problems(**banner: Any) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config(secret_keys=["x" * 32], storage_url="sqlite://:memory:", banner=banner)
    return exc.value.problems


@pytest.mark.parametrize("value", [
    "#fff", "#FFFA", "#0a0b0c", "#0a0b0c80", "rgb(0 0 0)", "rgba(0, 10, 20, .5)", "hsl(210deg 50% 40%)",
    "hsla(210, 50%, 40%, 0.3)", "RGB(1 2 3 / 50%)",
])
def test_css_colours_accepted(value: str) -> None:
    assert css_color(value)


@pytest.mark.parametrize("value", ["red", "#ff", "#gggggg", "rgb(1 2)", "rgb(1 2 3 4 5)", "url(x)",
                                   "rgb(1 2 3);background:url(//evil)", "expression(alert(1))", "var(--x)",
                                   "rgb(calc(1) 2 3)", "#fff;}", ""])
def test_bad_colours_refused_naming_the_key(value: str) -> None:
    found = problems(colors={"accent": value})
    assert len(found) == 1 and found[0].startswith("banner.colors.accent: ")
    assert "not a CSS colour" in found[0]


def test_dark_colour_error_names_its_key() -> None:
    assert problems(dark_colors={"background": "black"})[0].startswith("banner.dark_colors.background: ")


@pytest.mark.parametrize("url", ["/privacy", "privacy.html", "https://example.com/p", "http://e.example/p#x",
                                 "?page=privacy"])
def test_safe_urls_accepted(url: str) -> None:
    assert BannerConfig(privacy_url=url, logo_url=url).privacy_url == url


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "vbscript:x", "java\tscript:alert(1)",
    "https:/no-host", "/a b", "\\\\evil", "mailto:a@b",
])
@pytest.mark.parametrize("key", ["privacy_url", "logo_url"])
def test_unsafe_urls_refused(url: str, key: str) -> None:
    found = problems(**{key: url})
    assert len(found) == 1 and found[0].startswith(f"banner.{key}: ")


def test_unknown_text_key_named() -> None:
    found = problems(texts={"de": {"title": "Datenschutz", "titel": "typo"}})
    assert len(found) == 1
    assert found[0].startswith("banner.texts.de.titel.[key]: unknown text key 'titel'")
    assert "accept_all" in found[0]  # lists the known keys


def test_bad_language_tag_named() -> None:
    found = problems(texts={"german!": {"title": "x"}})
    assert found[0].startswith("banner.texts.german!.[key]: 'german!' is not a language tag")


def test_placeholders_must_match() -> None:
    found = problems(texts={"de": {"embed_text": "Laden erlaubt eine Kategorie."}})
    assert found == ["banner.texts: de.embed_text: must contain exactly {category}"]
    found = problems(texts={"de": {"title": "{category}"}})
    assert found == ["banner.texts: de.title: must contain exactly no placeholders"]


def test_empty_text_refused() -> None:
    assert problems(texts={"fr": {"title": ""}})[0].startswith("banner.texts.fr.title: ")


def test_default_language_needs_texts() -> None:
    found = problems(default_language="ja")
    assert len(found) == 1 and "default_language: no texts for 'ja'" in found[0]
    assert BannerConfig(default_language="ja", texts={"ja": {"title": "x"}}).default_language == "ja"
    assert BannerConfig(default_language="pt-BR").default_language == "pt-br"


def test_consent_mode_checked() -> None:
    found = problems(consent_mode={"ads_storage": ["marketing"]})
    assert found[0].startswith("banner.consent_mode.ads_storage.[key]: ")
    found = problems(consent_mode={"ad_storage": []})
    assert found == ["banner.consent_mode: ad_storage: list at least one category (or leave the type out)"]
    assert BannerConfig(consent_mode={}).consent_mode == {}


def test_layout_and_settings_button_limited() -> None:
    assert problems(layout="popup")[0].startswith("banner.layout: ")
    assert problems(settings_button="corner")[0].startswith("banner.settings_button: ")


def test_model_is_strict_and_frozen() -> None:
    assert problems(colour="#fff")[0].startswith("banner.colour: ")
    banner = BannerConfig()
    with pytest.raises(ValidationError):
        banner.layout = "modal"  # type: ignore[misc]


def test_cross_problems_name_unknown_categories(config: ConsentConfig) -> None:
    assert config.banner.cross_problems(config.category_keys) == []
    banner = BannerConfig(
        category_texts={"de": {"analytics": {"title": "Statistik"}, "ads": {"title": "Werbung"}}},
        consent_mode={"ad_storage": ["ads"], "analytics_storage": ["analytics"]},
    )
    assert banner.cross_problems(config.category_keys) == [
        "banner.category_texts.de.ads: unknown category 'ads'",
        "banner.consent_mode.ad_storage: unknown category 'ads'",
    ]
    # The built-in mapping is not held against a site that renamed its categories.
    assert BannerConfig().cross_problems(("necessary", "stats")) == []


def test_documented_toml_example_loads(tmp_path: Path) -> None:
    text = DOCS.read_text("utf-8")
    example = re.search(r"```toml\n(.*?)```", text, re.S)
    assert example is not None
    path = tmp_path / "consentkit.toml"
    head = f'secret_keys = ["{"x" * 32}"]\nstorage_url = "sqlite://:memory:"\n'
    path.write_text(head + example.group(1), "utf-8")
    config = load_config(path)
    banner = config.banner
    assert banner.layout == "box" and banner.settings_button == "floating"
    assert banner.texts["de"]["accept_all"] == "Alles erlauben"
    assert banner.category_texts["de"]["analytics"].title == "Statistik"
    assert banner.colors.accent == "#0b5fff" and banner.dark_colors.accent == "#8ab4ff"
    assert banner.cross_problems(config.category_keys) == []
