"""Visitor and session ids are believed only when this site issued them, and the beacon, pixel and
chat-click limits count by what a client cannot change for free."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chat.chat_helpers import LIVECHAT, chat_counts
from consentkit.consent import is_id, new_id
from consentkit.ids import TOKEN_CHARS, IdSigner
from consentkit.keyedhash import KeyedHash

from conftest import ORIGIN, events

KEY_A, KEY_B = "a" * 40, "b" * 40
MEASURED = {"default_granted": ["analytics"], "collection": {"ip_mode": "full"}}
"""A visitor who has not chosen is measured: no cookie is needed for an event."""


def measured(**collection: Any) -> dict[str, Any]:
    return {**MEASURED, "collection": {"ip_mode": "full", **collection}}
_ID = st.binary(min_size=16, max_size=16).map(lambda b: base64.urlsafe_b64encode(b).decode()[:22])


# -- the signer ------------------------------------------------------------------------------------
def test_an_issued_id_verifies_and_reads_back_as_itself() -> None:
    signer = IdSigner([KEY_A])
    ident = new_id()
    token = signer.sign("visitor", ident)
    assert len(token) == TOKEN_CHARS and token.startswith(ident + ".")
    assert signer.verify("visitor", token) == ident


def test_an_id_the_site_did_not_sign_is_not_believed() -> None:
    signer = IdSigner([KEY_A])
    ident = new_id()
    assert signer.verify("visitor", ident) == ""  # a bare id, as cookies held it before
    assert signer.verify("visitor", IdSigner([KEY_B]).sign("visitor", ident)) == ""  # another site's key
    assert signer.verify("session", signer.sign("visitor", ident)) == ""  # a visitor id is no session id
    other = signer.sign("visitor", new_id())
    assert signer.verify("visitor", ident + other[22:]) == ""  # another id's signature


def test_keys_rotate_like_the_choice_cookies_the_first_signs_all_verify() -> None:
    ident = new_id()
    old = IdSigner([KEY_A]).sign("visitor", ident)
    rotated = IdSigner([KEY_B, KEY_A])
    assert rotated.verify("visitor", old) == ident
    assert rotated.sign("visitor", ident) == IdSigner([KEY_B]).sign("visitor", ident)
    assert IdSigner([KEY_B]).verify("visitor", old) == ""  # once the old key is dropped


@settings(max_examples=500, deadline=None)
@given(value=st.text(max_size=60) | st.text(alphabet="AZaz09-_.", min_size=45, max_size=45),
       kind=st.sampled_from(["visitor", "session"]))
def test_verifying_any_cookie_value_never_raises_and_gives_an_id_or_nothing(value: str, kind: Any) -> None:
    found = IdSigner([KEY_A, KEY_B]).verify(kind, value)
    assert found == "" or (is_id(found) and value in (IdSigner([k]).sign(kind, found) for k in (KEY_A, KEY_B)))


@given(key=st.binary(max_size=100), prefix=st.binary(max_size=8), message=st.binary(max_size=64))
def test_the_kept_hash_states_give_hmac_sha256(key: bytes, prefix: bytes, message: bytes) -> None:
    keyed = KeyedHash(key, prefix)
    assert keyed.digest(message) == hmac.digest(key, prefix + message, hashlib.sha256)
    assert keyed.digest(message) == hmac.digest(key, prefix + message, hashlib.sha256)  # the states are kept


def test_an_id_signature_is_hmac_sha256_under_a_key_of_its_own() -> None:
    ident = new_id()
    id_key = hmac.digest(KEY_A.encode(), b"consentkit.ids|www.example.com", hashlib.sha256)
    mac = hmac.digest(id_key, b"v|" + ident.encode(), hashlib.sha256)[:16]
    expected = f"{ident}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert IdSigner([KEY_A], "www.example.com").sign("visitor", ident) == expected


@settings(max_examples=300, deadline=None)
@given(ident=_ID, at=st.integers(0, TOKEN_CHARS - 1), char=st.sampled_from("AQgw09-_."))
def test_changing_any_character_of_a_signed_id_unsigns_it(ident: str, at: int, char: str) -> None:
    signer = IdSigner([KEY_A])
    token = signer.sign("session", ident)
    changed = token[:at] + char + token[at + 1:]
    assert signer.verify("session", changed) == ("" if changed != token else ident)


# -- through the middlewares -----------------------------------------------------------------------
def test_a_forged_visitor_cookie_with_another_visitors_id_is_not_believed(site: Any) -> None:
    """Knowing a visitor's id (from an export, a log, a shared screen) does not let anyone write page
    views into that visitor's history: export and erase would attribute them to the visitor."""
    client, engine = site(**MEASURED)
    first = client.get("/")
    (own,) = events(engine)
    victim = own["visitor_id"]
    assert first.cookies.get("ck_vid", "").startswith(victim + ".")  # what the site issued: signed
    forgeries = [victim, f"{victim}.{'A' * 22}", victim + first.cookies["ck_vid"][22:].swapcase()]
    for forged in forgeries:
        client.cookies.clear()
        reply = client.get("/", headers={"cookie": f"ck_vid={forged}"})
        assert reply.cookies.get("ck_vid", "").split(".")[0] not in ("", victim)  # a new id is issued
    filed = [event["visitor_id"] for event in events(engine)[1:]]
    assert len(filed) == len(forgeries) and victim not in filed and all(filed)


def test_an_issued_visitor_cookie_keeps_its_visitor(site: Any) -> None:
    client, engine = site(**MEASURED)
    client.get("/")
    client.get("/")
    first, second = events(engine)
    assert first["visitor_id"] == second["visitor_id"] and first["session_id"] == second["session_id"]


def fresh_window() -> None:
    """The limiter counts per clock minute: start well inside one."""
    if time.time() % 60 > 50:
        time.sleep(60.5 - time.time() % 60)


def test_pixel_hits_without_a_cookie_are_limited_per_address(site: Any) -> None:
    client, engine = site(**measured(beacon_per_minute=5))
    fresh_window()
    for _ in range(60):
        assert client.get("/_consent/pixel.gif?p=/mail").status_code == 200
    assert len([e for e in events(engine) if e["kind"] == "pixel"]) == 5


@pytest.mark.parametrize(("neighbour", "stranger"), [("81.2.69.7", "81.2.70.142"),
                                                      ("2001:db8:1:2::99", "2001:db8:1:3::1")])
def test_without_a_visitor_id_the_limit_holds_for_the_addresses_network(
    site: Any, neighbour: str, stranger: str
) -> None:
    """Changing the address within a /24 (IPv4) or a /64 (IPv6) is free for a client; leaving it is not."""
    client, engine = site(**measured(beacon_per_minute=3), trusted_proxies=["127.0.0.1/32"])
    home = "81.2.69.142" if ":" not in neighbour else "2001:db8:1:2::1"
    fresh_window()
    for address in [home, neighbour] * 3 + [stranger]:
        client.get("/_consent/pixel.gif?p=/mail", headers={"x-forwarded-for": address})
    assert [e["ip"] for e in events(engine) if e["kind"] == "pixel"] == [home, neighbour, home, stranger]


def test_beacons_count_per_issued_visitor_not_per_shared_address(site: Any) -> None:
    first, engine = site(**measured(beacon_per_minute=2))
    fresh_window()
    visitors = []
    for _ in range(2):
        first.cookies.clear()
        first.get("/")
        visitors.append(dict(first.cookies))
    for cookies in visitors:
        first.cookies.clear()
        first.cookies.update(cookies)
        for _ in range(4):
            first.post("/_consent/beacon", json={"path": "/", "engaged_ms": 10}, headers=ORIGIN)
    beacons = [e["visitor_id"] for e in events(engine) if e["kind"] == "beacon"]
    assert len(beacons) == 4 and len(set(beacons)) == 2


def test_chat_clicks_without_a_cookie_are_limited_per_network(site: Any) -> None:
    client, engine = site(chat={**LIVECHAT, "clicks_per_minute": 2}, trusted_proxies=["127.0.0.1/32"])
    fresh_window()
    for host in range(1, 7):
        reply = client.post("/_consent/chat/click", headers={**ORIGIN, "x-forwarded-for": f"81.2.69.{host}"})
        assert reply.status_code == 204
    assert chat_counts(engine) == {"placeholder_clicked": 2}


def test_each_page_sets_the_id_cookies_its_own_cookie_header_calls_for(site: Any) -> None:
    """What consentkit adds to a page is made once per Cookie header; it must still follow that
    header page after page: the same session id refreshed, or a new id where one is missing."""
    client, _engine = site(**MEASURED)
    first = client.get("/")
    vid, sid = first.cookies["ck_vid"], first.cookies["ck_sid"]
    client.cookies.clear()
    for header, same_sid, new_vid in [
        (f"ck_vid={vid}; ck_sid={sid}", True, False),
        (f"ck_vid={vid}", False, False),
        (f"ck_sid={sid}", True, True),
        (f"ck_vid={vid}; ck_sid={sid}", True, False),
    ]:
        seen_sids, seen_vids = set(), set()
        for _ in range(3):
            reply = client.get("/", headers={"cookie": header})
            got = {c.split("=", 1)[0]: c.split("=", 1)[1].split(";")[0] for c in reply.headers.get_list("set-cookie")}
            seen_sids.add(got["ck_sid"])
            assert ("ck_vid" in got) is new_vid, header
            if new_vid:
                seen_vids.add(got["ck_vid"])
        assert seen_sids == {sid} if same_sid else (len(seen_sids) == 3 and sid not in seen_sids), header
        assert len(seen_vids) == (3 if new_vid else 0)
