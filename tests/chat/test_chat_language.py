"""The chat placeholder in the visitor's language, through both middlewares and the SPA endpoint."""

from __future__ import annotations

from typing import Any

from chat.chat_helpers import LIVECHAT, chat_config
from consentkit.banner.i18n import shipped_texts

from conftest import ORIGIN


def test_placeholder_follows_accept_language(chat_site: Any) -> None:
    client, _, _ = chat_site()
    de = shipped_texts("de")
    body = client.get("/", headers={"accept-language": "de-AT, en;q=0.5"}).text
    assert f'<p class="ck-chat-text">{de["chat_text"]}</p>' in body
    assert f'<button type="submit" class="ck-chat-btn">{de["chat_button"]}</button>' in body
    assert 'lang="de" dir="ltr"' in body and '<input type="hidden" name="lang" value="de">' in body
    assert chat_config(body)["lang"] == "de"
    ar = client.get("/", headers={"accept-language": "ar"}).text
    assert 'lang="ar" dir="rtl"' in ar and shipped_texts("ar")["chat_button"] in ar
    plain = client.get("/").text  # no header: the banner's default language
    assert shipped_texts("en")["chat_text"] in plain and 'lang="en" dir="ltr"' in plain


def test_site_wording_is_kept_in_every_language(chat_site: Any) -> None:
    client, _, _ = chat_site(chat={**LIVECHAT, "placeholder_text": "Talk to Anna from our shop."})
    body = client.get("/", headers={"accept-language": "fr"}).text
    assert "Talk to Anna from our shop." in body and shipped_texts("fr")["chat_text"] not in body
    assert shipped_texts("fr")["chat_button"] in body  # the button was left as shipped


def test_the_ledger_fingerprints_the_placeholder_wording(chat_site: Any) -> None:
    hashes = []
    for button in ("Allow and open chat", "Chat starten", "Allow and open chat"):
        client, engine, _ = chat_site(chat={**LIVECHAT, "placeholder_button": button})
        r = client.post("/_consent", data={"add": "chat", "lang": "de", "next": "/"}, headers=ORIGIN,
                        follow_redirects=False)
        assert r.status_code == 303
        hashes.append(list(engine.store.ledger())[-1].shown_hash)
    assert hashes[0] == hashes[2] != hashes[1]


def test_spa_endpoint_speaks_the_requested_language(chat_site: Any) -> None:
    client, _, _ = chat_site()
    r = client.get("/_consent/chat?lang=sv")
    params = r.json()["params"]
    assert (params["text"], params["button"], params["lang"], params["dir"]) == (
        shipped_texts("sv")["chat_text"], shipped_texts("sv")["chat_button"], "sv", "ltr")
    assert "accept-language" in r.headers["vary"].lower()
    header = client.get("/_consent/chat", headers={"accept-language": "pl"}).json()["params"]
    assert header["button"] == shipped_texts("pl")["chat_button"]
    odd = client.get("/_consent/chat?lang=%3Cscript%3E").json()["params"]  # not a language: the default
    assert odd["lang"] == "en"
