"""The chat through both middlewares: placeholder, widget, rules, counting, and the body handling."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from chat.chat_apps import PAGE
from chat.chat_helpers import LIVECHAT, chat_config, chat_counts
from consentkit.chat import Hide, Show, VisitorContext

from conftest import ORIGIN, choose

HELLO = b"<html><body><p>hello</p></body></html>"


def test_without_a_provider_nothing_changes(site: Any) -> None:
    client, engine = site()
    r = client.get("/")
    assert r.content == HELLO and not engine.chat.active
    assert client.get("/_consent/chat").json()["decision"] == "hide"


def test_no_consent_gets_the_placeholder_with_a_correct_length(chat_site: Any) -> None:
    client, engine, _ = chat_site()
    r = client.get("/?q=1")
    assert int(r.headers["content-length"]) == len(r.content)
    body = r.text
    before, _, after = PAGE.partition("</body>")
    assert body.startswith(before + '<div id="consentkit-chat-ph"') and body.endswith("</body>" + after)
    assert '<form method="post" action="/_consent"' in body
    assert '<input type="hidden" name="add" value="chat">' in body and 'name="grant"' not in body
    assert '<input type="hidden" name="next" value="/?q=1">' in body
    assert "Chat with us — this loads the chat service, which sets cookies." in body
    cfg = chat_config(body)
    assert cfg["mode"] == "placeholder" and cfg["grant"] == ["chat"] and cfg["params"] == {"site_id": "12345678"}
    assert re.search(r'<script src="/_consent/chat\.js\?v=[0-9a-f]{16}" async></script></body>', body)
    assert "cookie" in r.headers["vary"].lower()
    assert chat_counts(engine) == {"placeholder_shown": 1}


def test_granted_chat_gets_the_widget_and_the_grant_keeps_other_categories(chat_site: Any) -> None:
    client, engine, _ = chat_site()
    choose(client, {"grant": ["analytics"]})
    assert chat_config(client.get("/").text)["grant"] == ["analytics", "chat"]
    state = choose(client, {"grant": ["analytics", "chat"], "source": "banner"}).json()
    assert "chat" in state["effective"] and "analytics" in state["effective"]
    page = client.get("/").text
    cfg = chat_config(page)
    assert cfg["mode"] == "show" and "consentkit-chat-ph" not in page
    assert cfg["prechat"] == {"pages": ["/", "/"], "returning": False}  # no language header, no GeoIP database
    assert chat_counts(engine) == {"placeholder_shown": 1, "shown": 1}


def test_rules_that_hide_leave_the_page_byte_for_byte(chat_site: Any) -> None:
    client, engine, _ = chat_site(chat={**LIVECHAT, "rules": {"exclude_paths": ["/excluded"]}})
    r = client.get("/excluded")
    assert r.text == PAGE and int(r.headers["content-length"]) == len(PAGE)
    assert chat_counts(engine) == {"hidden_by_rule": 1}


def test_a_wsgi_iterable_without_length_is_neither_touched_nor_decided(site: Any, kind: str) -> None:
    client, engine = site(chat=LIVECHAT)
    r = client.get("/")
    if kind == "wsgi":
        assert r.content == HELLO and chat_counts(engine) == {}
    else:
        assert "consentkit-chat-ph" in r.text and chat_counts(engine) == {"placeholder_shown": 1}


def test_non_html_and_own_urls_are_not_decided(site: Any) -> None:
    client, engine = site(chat=LIVECHAT)
    assert client.get("/data").json() == {"ok": True}
    client.get("/_consent/state")
    assert chat_counts(engine) == {}


@pytest.mark.parametrize("headers", [{"sec-gpc": "1"}, {"dnt": "1"}])
def test_a_signal_that_denies_chat_hides_it(chat_site: Any, headers: dict[str, str]) -> None:
    client, engine, _ = chat_site()
    assert client.get("/", headers=headers).text == PAGE
    assert chat_counts(engine) == {"hidden_by_consent": 1}
    reasons = client.get("/_consent/chat", headers=headers).json()["reasons"]
    assert reasons[-1] == {"rule": "consent", "says": "hide",
                           "detail": "'chat' is not in effect and cannot be asked for here"}


def test_placeholder_can_be_switched_off(chat_site: Any) -> None:
    client, engine, _ = chat_site(chat={**LIVECHAT, "placeholder": False})
    assert client.get("/").text == PAGE
    assert chat_counts(engine) == {"hidden_by_consent": 1}


def test_hooks_see_only_fields_in_effect(chat_site: Any) -> None:
    client, engine, _ = chat_site(collection={"fields": {
        "language": "preferences", "device": "analytics", "browser": "analytics", "session_id": "analytics",
        "visitor_id": "analytics", "ip": "marketing"}})
    seen: list[VisitorContext] = []

    @engine.chat.rule
    def record(ctx: VisitorContext) -> Show:
        seen.append(ctx)
        return Show(data={"tier": "gold"})

    visitor = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
               "accept-language": "de-CH,de;q=0.9"}
    client.get("/", headers=visitor)
    choose(client, {"grant": ["preferences", "chat"]})
    client.get("/", headers=visitor)
    choose(client, {"grant": ["preferences", "analytics", "chat"]})
    page = client.get("/", headers=visitor).text
    first, second, third = seen
    assert first.language is first.device is first.page_views is first.ip is first.returning is None
    assert second.language == "de" and second.device is second.browser is second.page_views is None
    assert third.device == "desktop" and third.browser == "Firefox" and third.is_bot is False
    assert third.page_views == 1 and third.pages == ("/",) and third.returning is False
    assert third.ip is None and third.country is None  # marketing not granted; no GeoIP database
    assert "chat" in third.categories and chat_config(page)["data"] == {"tier": "gold"}
    assert chat_config(page)["prechat"] == {"language": "de", "pages": ["/"], "returning": False}


def test_page_views_come_from_the_visit(chat_site: Any) -> None:
    client, engine, _ = chat_site(chat={**LIVECHAT, "rules": {"min_page_views": 3}})
    choose(client, {"grant": ["analytics", "chat"]})
    pages = [client.get("/").text for _ in range(3)]
    assert [("consentkit-chat" in p) for p in pages] == [False, False, True]
    assert chat_config(pages[2])["prechat"]["pages"] == ["/", "/", "/"]
    assert chat_counts(engine) == {"hidden_by_rule": 2, "shown": 1}


def test_visit_data_needs_the_session_ids_category(chat_site: Any) -> None:
    client, engine, _ = chat_site(chat={**LIVECHAT, "rules": {"min_page_views": 2}})
    choose(client, {"grant": ["chat"]})  # analytics (which owns the ids) not granted
    assert all("consentkit-chat" not in client.get("/").text for _ in range(3))
    assert len(engine.chat.visits) == 0
    reason = client.get("/_consent/chat").json()["reasons"][0]
    assert reason["rule"] == "min_page_views" and "not known" in reason["detail"]


def test_known_bots_are_told_apart_only_with_the_device_groups_consent(chat_site: Any) -> None:
    client, engine, _ = chat_site()
    bot = {"user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}
    assert "consentkit-chat-ph" in client.get("/", headers=bot).text  # the device group is not in effect
    choose(client, {"grant": ["analytics"]})
    assert client.get("/", headers=bot).text == PAGE
    assert chat_counts(engine) == {"placeholder_shown": 1, "hidden_by_rule": 1}


def test_a_hook_that_raises_is_logged_and_hides(chat_site: Any, caplog: pytest.LogCaptureFixture) -> None:
    client, engine, _ = chat_site()

    @engine.chat.rule
    def broken(ctx: VisitorContext) -> bool:
        raise KeyError("oops")

    with caplog.at_level(logging.ERROR, logger="consentkit"):
        r = client.get("/")
    assert r.status_code == 200 and r.text == PAGE
    assert "chat rule broken raised" in caplog.text
    assert client.get("/_consent/chat").json()["reasons"] == [
        {"rule": "hook:broken", "says": "hide", "detail": "raised an exception (logged)"}]


def test_single_page_app_endpoint(site: Any) -> None:
    client, engine = site(chat={**LIVECHAT, "rules": {"include_paths": ["/help*"]}})

    @engine.chat.rule
    def vip(ctx: VisitorContext) -> Show | Hide:
        return Show(data={"plan": "pro"})

    hidden = client.get("/_consent/chat?path=/shop").json()
    assert hidden["decision"] == "hide" and hidden["params"] == {} and hidden["provider"] == "livechat"
    offered = client.get("/_consent/chat?path=/help/faq").json()
    assert offered["decision"] == "placeholder" and offered["params"]["grant"] == ["chat"]
    assert offered["params"]["script"].startswith("/_consent/chat.js?v=")
    choose(client, {"grant": ["chat"]})
    shown = client.get("/_consent/chat", params={"path": "/help/faq"})
    assert shown.headers["cache-control"] == "no-store"
    body = shown.json()
    assert body["decision"] == "show" and body["params"]["site_id"] == "12345678"
    assert body["params"]["data"] == {"plan": "pro"}
    assert [r["rule"] for r in body["reasons"]] == ["include_paths", "hook:vip", "consent"]
    assert client.post("/_consent/chat").status_code == 405
    assert chat_counts(engine) == {"hidden_by_rule": 1, "placeholder_shown": 1, "shown": 1}


def test_chat_js_is_versioned_and_cached(chat_site: Any) -> None:
    client, _engine, _ = chat_site()
    url = re.search(r'src="(/_consent/chat\.js\?v=[0-9a-f]+)"', client.get("/").text)
    assert url is not None
    r = client.get(url.group(1))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert b"eval(" not in r.content and b"consentkit-chat" in r.content
    assert client.get("/_consent/chat.js").headers["cache-control"] == "public, no-cache"
    again = client.get("/_consent/chat.js", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_clicks_are_counted_rate_limited_and_same_site_only(site: Any) -> None:
    client, engine = site(chat={**LIVECHAT, "clicks_per_minute": 2})
    codes = [client.post("/_consent/chat/click", headers=ORIGIN).status_code for _ in range(3)]
    assert codes == [204, 204, 204]
    assert client.post("/_consent/chat/click", headers={"origin": "https://evil.example"}).status_code == 403
    assert client.get("/_consent/chat/click").status_code == 405
    assert chat_counts(engine) == {"placeholder_clicked": 2}


# -- body handling, on apps that exercise it ------------------------------------------------------
def test_nonce_from_the_csp_header_or_the_app(chat_site: Any) -> None:
    client, _engine, _ = chat_site()
    assert '<script src="/_consent/chat.js?v=' in client.get("/csp").text
    assert 'async nonce="fromheader123"></script>' in client.get("/csp").text
    assert 'async nonce="fromscope456"></script>' in client.get("/nonce").text
    assert "nonce=" not in client.get("/").text


def test_compressed_pages_pass_through_with_a_logged_reason(chat_site: Any, caplog: pytest.LogCaptureFixture) -> None:
    client, engine, _ = chat_site()
    with caplog.at_level(logging.WARNING, logger="consentkit"):
        r = client.get("/gz")
    assert r.headers["content-encoding"] == "gzip" and r.text == PAGE and "compressed" in caplog.text
    assert chat_counts(engine) == {}  # a decision is counted when it takes effect: this one could not
    client2, engine2, _ = chat_site(chat={**LIVECHAT, "rules": {"languages": ["fr"]}})
    assert client2.get("/gz").text == PAGE
    assert chat_counts(engine2) == {"hidden_by_rule": 1}  # a hide takes effect whatever the body


def test_big_pages_pass_through(chat_site: Any) -> None:
    client, _engine, _ = chat_site(chat={**LIVECHAT, "max_html_bytes": 1024})
    assert "consentkit-chat" in client.get("/").text
    big = "x" * 2000
    assert len(PAGE) < 1024 < len(big)
    from consentkit.chat.streams import InjectPlan

    plan = InjectPlan("<i>chat</i>", "text/html; charset=utf-8", None, 1024)
    page = f"<body>{big}</body>".encode()
    assert plan.apply(page) is page and plan.apply(b"<body></body>") == b"<body><i>chat</i></body>"


def test_charset_of_the_response_is_kept(chat_site: Any) -> None:
    client, _engine, _ = chat_site()
    r = client.get("/latin")
    text = r.content.decode("latin-1")
    assert text.startswith("<body>Grüße<div id=\"consentkit-chat-ph\"") and text.endswith("</body>")
    assert "Chat with us &#8212; this loads" in text and int(r.headers["content-length"]) == len(r.content)


def test_streaming(chat_site: Any, kind: str) -> None:
    client, _engine, wsgi = chat_site()
    body = client.get("/stream").text
    if kind == "asgi":  # last chunk held back one: the </body> split across the last two is found
        assert body.startswith("<html><body><p>a</p><p>b</p><div id=\"consentkit-chat-ph\"")
        assert body.endswith("</body></html>")
    else:  # a WSGI generator without Content-Length passes through untouched, and is closed
        assert body == "<html><body><p>a</p><p>b</p></body></html>"
        assert wsgi is not None and wsgi.closed == 1


def test_wsgi_iterables_are_joined_injected_and_closed(chat_site: Any, kind: str) -> None:
    client, _engine, wsgi = chat_site()
    r = client.get("/")
    assert r.text.startswith(PAGE[:-len("</body></html>")]) and "consentkit-chat-ph" in r.text
    assert int(r.headers["content-length"]) == len(r.content)
    if wsgi is not None:
        assert wsgi.closed == 1
        written = client.get("/written")
        assert written.text.startswith(PAGE[:30]) and "consentkit-chat-ph" in written.text


def test_template_helper_places_it_once(chat_site: Any) -> None:
    client, _engine, _ = chat_site(chat={**LIVECHAT, "inject": False})
    assert "consentkit-chat" not in client.get("/").text
    page = client.get("/helper").text
    assert page.count('id="consentkit-chat"') == 1 and 'nonce="tplnonce"' in page
    assert '</main><div id="consentkit-chat-ph"' in page  # where the template put it
    client2, engine2, _ = chat_site()  # inject on: the helper's call still stops a second copy
    assert client2.get("/helper").text.count('id="consentkit-chat"') == 1
    assert chat_counts(engine2) == {"placeholder_shown": 1}


def test_the_template_helper_knows_a_request_only_while_it_is_served(chat_site: Any) -> None:
    from consentkit.chat import chat_html
    from consentkit.http import RequestView

    _client, engine, _ = chat_site()
    ex = engine.begin(RequestView("GET", "/", "", {"user-agent": "Mozilla/5.0 Firefox/130.0"}, "127.0.0.1", "https"))
    assert "consentkit-chat-ph" in chat_html(engine, ex.state)
    assert chat_html(engine, ex.state).count("consentkit-chat-ph") == 1  # placed twice: counted once
    engine.finish(ex, 200, "text/html")
    assert chat_html(engine, ex.state) == ""  # finished: unknown now
    assert chat_counts(engine) == {"placeholder_shown": 1}
