"""Chat configuration: ids and templates are checked at start-up, each error naming its key."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.chat import providers
from consentkit.chat.settings import ChatConfig
from consentkit.configfile import load_config
from consentkit.errors import ConfigError

from conftest import SECRET

GOOD_IDS = {
    "livechat": "12345678",
    "tawkto": "5f1e2d3c4b5a69788796a5b4",
    "crisp": "e987cede-c42d-4c32-8cf3-1a4a074abd73",
    "chatwoot": "Fdm5ypwCWKm8fAEpf9w2Rqsm",
    "zendesk": "4cee5b4f-da79-4cae-891a-4efa9d5fa1de",
}


def problems(tmp_path: Path, **chat: Any) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(secret_keys=[SECRET], storage_url=f"sqlite:///{tmp_path / 'x.db'}", chat=chat)
    return info.value.problems


@pytest.mark.parametrize(("provider", "site_id"), sorted(GOOD_IDS.items()))
def test_each_preset_accepts_its_id_format(provider: str, site_id: str) -> None:
    cfg = ChatConfig(provider=provider, site_id=site_id)  # type: ignore[arg-type]
    assert cfg.active and cfg.provider_params()["site_id"] == site_id


@pytest.mark.parametrize("provider", sorted(GOOD_IDS))
def test_markup_in_an_id_is_refused_naming_the_key(tmp_path: Path, provider: str) -> None:
    found = problems(tmp_path, provider=provider, site_id='1"><script>alert(1)</script>')
    assert len(found) == 1 and found[0].startswith("chat.site_id: ")


def test_a_preset_needs_its_id(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, provider="crisp")
    assert found.startswith("chat.site_id: provider 'crisp' needs site_id")


def test_widget_id_and_base_url_are_checked(tmp_path: Path) -> None:
    found = problems(tmp_path, provider="chatwoot", site_id=GOOD_IDS["chatwoot"], base_url="javascript:alert(1)",
                     widget_id="a/b")
    assert {p.split(":", 1)[0] for p in found} == {"chat.base_url", "chat.widget_id"}
    assert ChatConfig(base_url="https://chat.example.com/").base_url == "https://chat.example.com"


def test_chat_category_must_exist_when_chat_is_on(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, category="support", provider="crisp",
                        site_id="e987cede-c42d-4c32-8cf3-1a4a074abd73")
    assert found.startswith("chat.category: unknown category 'support'")


def test_a_site_without_chat_needs_no_chat_category(tmp_path: Path) -> None:
    cfg = load_config(secret_keys=["k" * 32], categories=[{"key": "necessary", "title": "N", "required": True},
                                                 {"key": "analytics", "title": "A"}])
    assert not cfg.chat.active and cfg.category_keys == ("necessary", "analytics")


def test_business_hours_zone_is_checked(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, rules={"hours": {"timezone": "Mars/Olympus"}})
    assert found.startswith("chat.rules.hours.timezone: ")


def test_rules_values_are_normalised_and_checked(tmp_path: Path) -> None:
    cfg = ChatConfig(rules={"countries": ["de", " fr"], "languages": ["EN"]})  # type: ignore[arg-type]
    assert cfg.rules.countries == ("DE", "FR") and cfg.rules.languages == ("en",)
    found = problems(tmp_path, rules={"countries": ["Germany"], "devices": ["toaster"]})
    assert {p.split(":", 1)[0] for p in found} == {"chat.rules.countries.0", "chat.rules.devices.0"}


def test_inactive_without_provider_or_when_disabled() -> None:
    assert not ChatConfig().active
    assert not ChatConfig(provider="livechat", site_id="1", enabled=False).active


@pytest.mark.parametrize(
    ("template", "complaint"),
    [
        ("<div>{site_id.__class__}</div>", "unknown placeholder"),
        ("<div>{secret}</div>", "unknown placeholder"),
        ("<div>{site_id!r}</div>", "unknown placeholder"),
        ("<div>{", "not a valid template"),
        ('<div onclick="go()">x</div>', "inline event handlers"),
        ('<a href="javascript:go()">x</a>', "javascript:"),
        ('<div class={site_id}>x</div>', "quoted attribute"),
        ('<div {site_id}="x">x</div>', "quoted attribute"),
        ("<{site_id}>", "is not allowed"),
        ("<form></form>", "<form> is not allowed"),
        ("<textarea>", "<textarea> is not allowed"),
        ("<div>", "<div> is not closed"),
        ('<script src="/x.js"/>', "<script> is not closed"),
        ("</div>", "does not close"),
        ("<p></body>", "does not close"),
        ("</template><script>x()</script>", "does not close"),
        ("<!-- open", "comment is not closed"),
        ('<div class="x"', "ends inside a tag"),
        ("<!DOCTYPE html>", "DOCTYPE"),
    ],
)
def test_templates_that_could_break_the_page_are_refused(tmp_path: Path, template: str, complaint: str) -> None:
    (found,) = problems(tmp_path, provider="generic", template=template)
    assert found.startswith("chat.template: ") and complaint in found


def test_generic_needs_a_template_and_presets_refuse_one(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, provider="generic")
    assert found.startswith("chat.template: ")
    (found,) = problems(tmp_path, provider="livechat", site_id="1", template="<div></div>")
    assert "only used with provider 'generic'" in found


def test_a_real_snippet_is_accepted_and_rendered_with_escaped_values() -> None:
    template = (
        '<!-- chat --><script src="https://chat.example/{site_id}.js" nonce="{nonce}" async></script>'
        '<script nonce="{nonce}">window.chatSite = "{site_id}"; var s = {{a: 1}};</script>'
    )
    cfg = ChatConfig(provider="generic", site_id="acme-1", template=template)
    out = providers.render(cfg.template, {"site_id": cfg.site_id, "nonce": "n0"})
    assert 'src="https://chat.example/acme-1.js" nonce="n0"' in out and "var s = {a: 1};" in out
    hostile = providers.render('<p title="{site_id}">{site_id}</p>', {"site_id": "\"'<>&`${x}\\"})
    escaped = "&quot;&#x27;&lt;&gt;&amp;&#96;&#36;{x}&#92;"
    assert hostile == f'<p title="{escaped}">{escaped}</p>'


# -- properties -----------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(providers.ID_RULES)), st.text(max_size=80))
def test_only_well_formed_ids_pass(provider: str, value: str) -> None:
    try:
        providers.check_site_id(provider, value)
    except ValueError:
        return
    assert re.fullmatch(r"[A-Za-z0-9._\-]*", value)  # no markup, quote, space, colon or slash ever passes


FRAGMENTS = st.sampled_from([
    "<div>", "</div>", "<span>", "</span>", "<script>", "</script>", '<script src="/a.js">', "<img src=x>",
    '<a href="{site_id}">', "</a>", "{site_id}", "{nonce}", "{prefix}", "{{", "}}", "text", " ", "<", ">", '"',
    "'", "=", "<p class={site_id}>", "</p>", "<p>", "<!-- c -->", "<!--", "</body>", "<form>", "onload=",
    '<b title="{widget_id}">', "</b>", "<template>", "<style>", "</style>", "&amp;", "/>",
])
HOSTILE = st.sampled_from(['"><script>alert(1)</script>', "</script><b>", "'onmouseover=x", "${x}`", "\\"])


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.events: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag))
        self.events.extend(("attr", name) for name, _ in attrs)

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))


def _structure(html: str) -> list[tuple[str, str]]:
    p = _Structure()
    p.feed(html)
    p.close()
    return p.events


@settings(max_examples=500, deadline=None)
@given(st.lists(FRAGMENTS, max_size=12).map("".join), HOSTILE)
def test_an_accepted_template_keeps_its_shape_whatever_the_values(template: str, value: str) -> None:
    try:
        providers.check_template(template)
    except ValueError:
        return
    safe = providers.render(template, {"site_id": "a", "widget_id": "b", "nonce": "c", "prefix": "/d"})
    hostile = providers.render(template, dict.fromkeys(providers.PLACEHOLDERS, value))
    page = "<html><body>{}</body></html>"
    # the same tags and attributes, and the page's own </body> still closes the body
    assert _structure(page.format(hostile)) == _structure(page.format(safe))
    assert not any(kind == "attr" and name.startswith("on") for kind, name in _structure(hostile))
