"""Behaviour of the middleware, run on both the ASGI and the WSGI path (the `kind` fixture)."""

from __future__ import annotations

from typing import Any

from consentkit.ledger import verify

from conftest import ORIGIN, choose


def set_cookie_names(resp: Any) -> list[str]:
    return [h.split("=", 1)[0] for h in resp.headers.get_list("set-cookie")]


def expired(resp: Any) -> set[str]:
    return {h.split("=", 1)[0] for h in resp.headers.get_list("set-cookie") if "Max-Age=0" in h}


def test_new_visitor_has_only_required_categories_and_no_tracking_cookie(site: Any) -> None:
    client, _ = site()
    r = client.get("/whoami")
    assert r.json() == {
        "effective": ["necessary"], "choice_made": False, "consent_id": None,
        "signals": {"dnt": False, "gpc": False}, "analytics": False,
    }
    page = client.get("/")
    assert set_cookie_names(page) == []
    assert "Cookie" in page.headers["vary"]


def test_accept_all_sets_cookie_records_ledger_and_ids_follow(site: Any) -> None:
    client, engine = site()
    r = choose(client, {"action": "accept_all"})
    assert r.status_code == 200
    body = r.json()
    assert body["choice_made"] is True and set(body["effective"]) == {
        "necessary", "preferences", "analytics", "marketing", "chat"}
    assert body["categories"][0]["key"] == "necessary"
    assert "ck_consent" in client.cookies
    who = client.get("/whoami")
    assert who.json()["analytics"] is True and who.json()["consent_id"] == body["consent_id"]
    assert set(set_cookie_names(who)) == {"ck_sid", "ck_vid"}
    again = client.get("/")
    assert set_cookie_names(again) == ["ck_sid"]  # visitor id is not extended; the session rolls
    (rec,) = list(engine.store.ledger())
    assert rec.consent_id == body["consent_id"] and rec.source == "api" and rec.denied == ()
    assert verify(engine.store.ledger()).ok


def test_choose_grants_exactly_the_chosen_categories(site: Any) -> None:
    client, engine = site()
    r = choose(client, {"grant": ["preferences"], "source": "banner"})
    assert r.json()["effective"] == ["necessary", "preferences"]
    assert client.get("/whoami").json()["analytics"] is False
    (rec,) = list(engine.store.ledger())
    assert rec.granted == ("preferences",) and set(rec.denied) == {"analytics", "marketing", "chat"}
    assert rec.source == "banner"


def test_withdrawal_expires_the_cookies_of_the_category_and_keeps_the_consent_id(site: Any) -> None:
    client, engine = site()
    first = choose(client, {"action": "accept_all"}).json()
    client.get("/?set=_ga,_fbp")
    assert "_ga" in client.cookies and "ck_vid" in client.cookies
    r = choose(client, {"grant": ["marketing"]})
    assert r.status_code == 200
    assert {"_ga", "ck_vid", "ck_sid"} <= expired(r)
    assert "_fbp" not in expired(r)
    assert "_ga" not in client.cookies and "ck_vid" not in client.cookies
    assert r.json()["consent_id"] == first["consent_id"]
    assert [x.granted for x in engine.store.ledger()] == [
        ("analytics", "chat", "marketing", "preferences"), ("marketing",)]


def test_reject_all_is_recorded_like_a_consent(site: Any) -> None:
    client, engine = site()
    r = choose(client, {"action": "reject_all"})
    assert r.json()["effective"] == ["necessary"]
    (rec,) = list(engine.store.ledger())
    assert rec.granted == () and len(rec.denied) == 4


def test_set_cookie_of_a_category_not_in_effect_is_stripped_and_counted(site: Any) -> None:
    client, engine = site()
    r = client.get("/?set=_ga,sessionid,lang")
    assert set_cookie_names(r) == ["sessionid"]
    engine.writer.flush()
    stripped = {k for _, m, k, _ in engine.store.counts("cookie.stripped")}
    assert stripped == {"_ga|analytics", "lang|preferences"}


def test_undeclared_cookies_follow_the_configured_policy(site: Any) -> None:
    client, engine = site()
    assert set_cookie_names(client.get("/?set=mystery")) == ["mystery"]
    engine.writer.flush()
    assert [k for *_, k, _ in engine.store.counts("cookie.undeclared")] == ["mystery"]
    blocking, _ = site(undeclared_cookies="block")
    assert set_cookie_names(blocking.get("/?set=mystery")) == []
    allowing, _ = site(undeclared_cookies="allow")
    assert set_cookie_names(allowing.get("/?set=mystery")) == ["mystery"]


def test_gpc_denies_even_after_an_earlier_opt_in_and_state_reports_conflict(site: Any) -> None:
    client, _ = site()
    choose(client, {"action": "accept_all"})
    client.get("/")
    r = client.get("/_consent/state", headers={"sec-gpc": "1"})
    state = r.json()
    assert state["effective"] == ["necessary"]
    assert state["signals"] == {"dnt": False, "gpc": True}
    assert set(state["conflict"]) == {"preferences", "analytics", "marketing", "chat"}
    page = client.get("/", headers={"sec-gpc": "1"})
    assert {"ck_vid", "ck_sid"} <= expired(page)
    assert client.get("/whoami").json()["analytics"] is True  # no signal later: the choice applies again


def test_a_response_that_expires_cookies_varies_with_them_even_when_not_html(site: Any) -> None:
    client, _ = site()
    choose(client, {"action": "accept_all"})
    client.get("/")
    data = client.get("/data", headers={"sec-gpc": "1"})  # JSON, and the app never read the consent
    assert {"ck_vid", "ck_sid"} <= expired(data)
    assert "Sec-GPC" in data.headers.get("vary", "")


def test_dnt_denies_like_gpc(site: Any) -> None:
    client, _ = site()
    choose(client, {"action": "accept_all"})
    assert client.get("/whoami", headers={"dnt": "1"}).json()["effective"] == ["necessary"]


def test_override_switch_lets_a_confirmed_optin_stand(site: Any) -> None:
    client, _ = site(signals={"explicit_optin_overrides": True})
    choose(client, {"grant": ["analytics"]})
    assert client.get("/whoami", headers={"sec-gpc": "1"}).json()["analytics"] is False
    client.post("/_consent", json={"grant": ["analytics"]}, headers={**ORIGIN, "sec-gpc": "1"})
    assert client.get("/whoami", headers={"sec-gpc": "1"}).json()["analytics"] is True


def test_policy_bump_asks_everyone_again(site: Any, tmp_path: Any) -> None:
    client, _ = site()
    choose(client, {"action": "accept_all"})
    value = client.cookies["ck_consent"]
    client2, _ = site(policy_version="2")
    client2.cookies.set("ck_consent", value)
    assert client2.get("/whoami").json()["choice_made"] is False


def test_form_post_without_javascript_redirects_back_same_site_only(site: Any) -> None:
    client, _ = site()
    r = client.post("/_consent", data={"action": "accept_all", "next": "/pricing?x=1"}, headers=ORIGIN,
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/pricing?x=1"
    assert "ck_consent" in client.cookies
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        r = client.post("/_consent", data={"action": "reject_all", "next": evil}, headers=ORIGIN,
                        follow_redirects=False)
        assert r.headers["location"] == "/", evil
    r = client.post("/_consent", data={"action": "accept_all", "next": "/日本?q=ü"}, headers=ORIGIN,
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/%E6%97%A5%E6%9C%AC?q=%C3%BC"


def test_form_post_with_checkboxes(site: Any) -> None:
    client, _ = site()
    r = client.post("/_consent", data={"action": "choose", "grant": ["analytics", "chat"]}, headers=ORIGIN,
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/whoami").json()["effective"] == ["analytics", "chat", "necessary"]


def test_cross_site_posts_are_refused(site: Any) -> None:
    client, engine = site()
    for headers in ({"origin": "https://evil.example"}, {"origin": "null"},
                    {"referer": "https://evil.example/page"}, {"sec-fetch-site": "cross-site"}):
        r = client.post("/_consent", json={"action": "accept_all"}, headers=headers)
        assert r.status_code == 403, headers
        assert "cross-site" in r.json()["error"]
    assert list(engine.store.ledger()) == []
    ok, _ = site(allowed_origins=["https://shop.example"])
    assert ok.post("/_consent", json={"action": "accept_all"}, headers={"origin": "https://shop.example"}).is_success


def test_bad_bodies_get_a_4xx_naming_the_problem(site: Any) -> None:
    client, engine = site()
    cases = [
        ({"json": {"grant": ["analytics", "spying"]}}, 400, "unknown category: spying"),
        ({"json": {"action": "accept_some"}}, 400, "action must be"),
        ({"json": {"grant": "analytics"}}, 400, "grant must be a list"),
        ({"json": {"surprise": 1}}, 400, "unknown field"),
        ({"json": [1, 2]}, 400, "must be an object"),
        ({"content": b"\xff\xfe", "headers": {"content-type": "application/json"}}, 400, "not valid JSON"),
        ({"content": b"<x/>", "headers": {"content-type": "application/xml"}}, 415, "unsupported content type"),
        ({"content": b"{}" + b" " * 17000, "headers": {"content-type": "application/json"}}, 413, "larger than"),
    ]
    for kwargs, status, message in cases:
        headers = {**ORIGIN, **kwargs.pop("headers", {})}  # type: ignore[arg-type]
        r = client.post("/_consent", headers=headers, **kwargs)
        assert r.status_code == status, (kwargs, r.text)
        assert message in r.json()["error"]
    assert list(engine.store.ledger()) == []


def test_wrong_method_and_unknown_endpoint(site: Any) -> None:
    client, _ = site()
    r = client.get("/_consent")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert client.get("/_consent/nothing").status_code == 404
    assert "error" not in client.get("/_consentx").text  # not ours: the app answers


def test_gpc_well_known_resource(site: Any) -> None:
    client, _ = site()
    r = client.get("/.well-known/gpc.json")
    assert r.json() == {"gpc": True, "lastUpdate": "2026-01-01"}
    off, _ = site(signals={"gpc_denies": []})
    assert off.get("/.well-known/gpc.json").status_code == 404


def test_tampered_or_garbage_cookies_read_as_no_choice(site: Any, kind: str) -> None:
    client, _ = site()
    latin1 = [b"\xff" * 50] if kind == "asgi" else []  # the WSGI test transport cannot send these bytes
    for value in (b"garbage", b"a~b~c~d.x.y", *latin1, b"x" * 5000, b"\x00;;=;ck_consent"):
        r = client.get("/whoami", headers=[(b"cookie", b"ck_consent=" + value)])
        assert r.status_code == 200 and r.json()["choice_made"] is False


def test_store_failure_refuses_the_choice_without_setting_a_cookie(site: Any) -> None:
    client, engine = site()
    engine.store.execute("DROP TABLE ck_ledger")  # the store refuses every ledger record
    r = choose(client, {"action": "accept_all"})
    assert r.status_code == 503 and "could not be recorded" in r.json()["error"]
    assert "ck_consent" not in client.cookies


def test_existing_vary_header_is_merged(site: Any) -> None:
    client, _ = site()
    r = client.get("/")
    assert r.headers["vary"].count("Cookie") == 1
    json_r = client.get("/data")
    assert "vary" not in json_r.headers  # the app did not read the consent and set no cookie
