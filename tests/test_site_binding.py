"""Signed cookies are bound to one site: two sites sharing keys and policy version (staging and
production) do not honour each other's choices or ids."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit import ConfigError, load_config
from consentkit.cli import main
from consentkit.consent import Choice, ChoiceCodec, new_id
from consentkit.ids import IdSigner

from conftest import ORIGIN, SECRET, choose

KEYS = ["a" * 32]
KNOWN = frozenset({"necessary", "analytics", "marketing"})
WEEK = 7 * 86400


def codec(site_id: str | None) -> ChoiceCodec:
    return ChoiceCodec(KEYS, "1", 182 * 86400, KNOWN, site_id=site_id)


def test_a_choice_made_on_one_site_is_no_choice_on_another_with_the_same_keys(site: Any) -> None:
    production, _ = site(site_id="www.example.com")
    staging, _ = site(site_id="staging.example.com")
    choose(staging, {"action": "accept_all"})
    cookie = staging.cookies["ck_consent"]
    assert staging.get("/_consent/state").json()["choice_made"] is True
    production.cookies.set("ck_consent", cookie)
    state = production.get("/_consent/state").json()
    assert state["choice_made"] is False and "analytics" not in state["effective"]


def test_the_same_site_id_honours_its_own_choices(site: Any) -> None:
    first, _ = site(site_id="www.example.com")
    second, _ = site(site_id="www.example.com")  # another process of the same site
    choose(first, {"action": "accept_all"})
    second.cookies.set("ck_consent", first.cookies["ck_consent"])
    assert second.get("/_consent/state").json()["choice_made"] is True


def test_visitor_ids_are_bound_to_the_site_too(site: Any) -> None:
    production, _ = site(site_id="www.example.com", default_granted=["analytics"])
    staging, _ = site(site_id="staging.example.com", default_granted=["analytics"])
    staging.get("/")
    production.cookies.set("ck_vid", staging.cookies["ck_vid"])
    reply = production.get("/")
    assert reply.cookies["ck_vid"] != staging.cookies["ck_vid"]  # not believed: a new id is issued
    assert IdSigner(KEYS, "a").verify("visitor", IdSigner(KEYS, "b").sign("visitor", new_id())) == ""


def test_without_site_id_the_choices_a_site_already_holds_stay_valid() -> None:
    """A cookie signed before site_id existed (by consentkit's previous release, at `made`)."""
    made = 1796436846.0
    value = "AAAAAAAAAAAAAAAAAAAAAA~1~analytics~.axNzbg.cxi5MrP0-4SA9hPF5krekz1jWx2j1rnkdOCOAt6oJi0"
    legacy = ChoiceCodec(["k" * 40], "1", 182 * 86400, KNOWN)
    held = legacy.decode(value, now=made + WEEK)
    assert held is not None and held.granted == {"analytics"} and held.decided_at == made
    bound = ChoiceCodec(["k" * 40], "1", 182 * 86400, KNOWN, site_id="www.example.com")
    assert bound.decode(value, now=made + WEEK) is None


@settings(max_examples=100, deadline=None)
@given(one=st.none() | st.from_regex(r"[A-Za-z0-9._:\-]{1,20}", fullmatch=True),
       other=st.none() | st.from_regex(r"[A-Za-z0-9._:\-]{1,20}", fullmatch=True))
def test_a_choice_verifies_exactly_where_it_was_made(one: str | None, other: str | None) -> None:
    value = codec(one).encode(Choice(new_id(), frozenset({"analytics"}), "1", time.time()))
    assert (codec(other).decode(value) is not None) == (one == other)
    assert codec(one).decode(value) is not None


def test_site_id_is_checked_at_start_up() -> None:
    assert load_config(secret_keys=[SECRET], site_id="www.example.com:8443").site_id == "www.example.com:8443"
    with pytest.raises(ConfigError) as info:
        load_config(secret_keys=[SECRET], site_id="a site|with spaces")
    assert info.value.problems[0].startswith("site_id:")


def check_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str], toml: str) -> list[str]:
    path = tmp_path / "consentkit.toml"
    path.write_text(f'secret_keys = ["{SECRET}"]\n{toml}')
    assert main(["check", str(path)]) == 0
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]


def test_check_warns_while_choices_are_not_bound_to_the_site(tmp_path: Path, capsys: Any) -> None:
    (warning,) = check_warnings(tmp_path, capsys, "")
    assert warning.startswith("warning: site_id: not set") and "secret_keys and policy_version" in warning
    (shared,) = check_warnings(tmp_path, capsys, '[cookies]\ndomain = "example.com"\n')
    assert "cookies.domain = 'example.com' sends them to every host under it" in shared
    assert check_warnings(tmp_path, capsys, 'site_id = "www.example.com"\n') == []


def test_a_bound_choice_posted_and_read_back_round_trips(site: Any) -> None:
    client, engine = site(site_id="www.example.com")
    r = client.post("/_consent", json={"action": "accept_all"}, headers=ORIGIN)
    assert r.status_code == 200
    assert engine.codec.decode(client.cookies["ck_consent"]) is not None
    unbound = ChoiceCodec([SECRET], "1", 182 * 86400, KNOWN)  # the same key, no site_id
    assert unbound.decode(client.cookies["ck_consent"]) is None
