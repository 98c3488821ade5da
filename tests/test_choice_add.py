"""`{"add": [...]}`: a category added to the visitor's current choice, which the server reads from
the choice cookie the request carries — never from what a (possibly stale) page believes."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentkit.bodies import BadBody, parse_choice

from conftest import ORIGIN, choose

KNOWN = ("necessary", "analytics", "marketing", "chat")
keys = st.sampled_from([*KNOWN, "spying", "", "Analytics", "x" * 50])


def granted(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.text
    data: list[str] = resp.json()["granted"]
    return data


def ledger_grants(engine: Any) -> list[list[str]]:
    return [list(r.granted) for r in engine.store.ledger()]


def test_add_is_on_top_of_the_choice_the_cookie_carries(site: Any) -> None:
    client, engine = site()
    assert granted(choose(client, {"add": ["marketing"]})) == ["marketing"]  # no choice yet: nothing else
    assert granted(choose(client, {"grant": ["analytics"]})) == ["analytics"]
    assert granted(choose(client, {"add": ["marketing"], "source": "banner"})) == ["analytics", "marketing"]
    assert granted(choose(client, {"action": "reject_all"})) == []
    # A page rendered while analytics was allowed asks for marketing: only marketing is added.
    assert granted(choose(client, {"add": ["marketing", "marketing", "necessary"]})) == ["marketing"]
    assert ledger_grants(engine)[-2:] == [[], ["marketing"]]
    assert "analytics" not in client.get("/_consent/state").json()["effective"]


OPTIONAL = ("preferences", "analytics", "marketing", "chat")
_CLIENTS: dict[int, Any] = {}


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.none() | st.sets(st.sampled_from(OPTIONAL)), st.lists(st.sampled_from(["necessary", *OPTIONAL]), min_size=1))
def test_add_grants_the_choice_in_the_cookie_plus_the_added_and_nothing_else(
    site: Any, current: set[str] | None, add: list[str]
) -> None:
    if id(site) not in _CLIENTS:  # one site for all the examples of a run: a fresh cookie jar each
        _CLIENTS.clear()
        _CLIENTS[id(site)] = site()[0]
    client = _CLIENTS[id(site)]
    client.cookies.clear()
    if current is not None:
        granted(choose(client, {"grant": sorted(current)}))
    assert granted(choose(client, {"add": add})) == sorted((current or set()) | (set(add) - {"necessary"}))


def test_a_choice_cookie_that_does_not_verify_adds_to_nothing(site: Any) -> None:
    client, _ = site()
    choose(client, {"action": "accept_all"})
    value = client.cookies["ck_consent"]
    client.cookies.set("ck_consent", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert granted(choose(client, {"add": ["chat"]})) == ["chat"]


def test_the_no_javascript_form_adds_too(site: Any) -> None:
    client, _ = site()
    choose(client, {"grant": ["analytics"]})
    r = client.post("/_consent", data={"add": "chat", "next": "/page"}, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/page"
    assert client.get("/_consent/state").json()["granted"] == ["analytics", "chat"]


def test_bad_adds_get_a_400_naming_the_problem(site: Any) -> None:
    client, engine = site()
    cases = [
        ({"add": ["marketing", "spying"]}, "unknown category: spying"),
        ({"add": []}, "add must be a non-empty list"),
        ({"add": "marketing"}, "add must be a non-empty list"),
        ({"add": [1]}, "add must be a list of category keys"),
        ({"add": ["marketing"], "grant": ["analytics"]}, "send 'add' alone"),
        ({"add": ["marketing"], "action": "accept_all"}, "send 'add' alone"),
        ({"add": ["analytics"] * 65}, "add lists too many categories"),
    ]
    for body, message in cases:
        r = choose(client, body)
        assert r.status_code == 400, (body, r.text)
        assert message in r.json()["error"], (body, r.text)
    r = client.post("/_consent", data={"add": "spying"}, headers=ORIGIN)
    assert r.status_code == 400 and "unknown category: spying" in r.json()["error"]
    assert ledger_grants(engine) == []


@settings(max_examples=300)
@given(
    st.lists(keys, max_size=5) | st.none() | st.integers() | st.text(max_size=5),
    st.sampled_from([None, [], ["analytics"]]),
    st.sampled_from([None, "accept_all", "choose"]),
    st.booleans(),
)
def test_add_parser_takes_exactly_known_categories_or_refuses(
    add: Any, grant: Any, action: Any, form: bool
) -> None:
    body: dict[str, Any] = {"add": add}
    if grant is not None:
        body["grant"] = grant
    if action is not None:
        body["action"] = action
    if form:
        if not isinstance(add, list):
            return
        grant = grant or None  # a form sends no field for an empty list
        pairs = [("add", a) for a in add] + [("grant", g) for g in grant or []]
        pairs += [("action", action)] if action else []
        raw, ctype = urlencode(pairs).encode(), "application/x-www-form-urlencoded"
    else:
        raw, ctype = json.dumps(body).encode(), "application/json"
    try:
        parsed = parse_choice(ctype, raw, KNOWN)
    except BadBody as exc:
        assert exc.status == 400 and str(exc)
        unknown = sorted({a for a in add if a not in KNOWN}) if isinstance(add, list) else []
        if unknown and isinstance(add, list) and grant is None and action is None:
            assert str(exc).startswith("unknown category: " + unknown[0][:40])
        return
    if form and not add:  # a form without an add field is an ordinary choice
        assert parsed.action != "add"
        return
    assert parsed.action == "add" and grant is None and action is None
    assert isinstance(add, list) and add and parsed.grant == tuple(dict.fromkeys(add))
    assert set(parsed.grant) <= set(KNOWN)
