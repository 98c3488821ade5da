"""A withdrawn category's cookies are expired on every domain a script could have set them for: the
host-only cookie, the host name and its parent domains (as analytics scripts set theirs), and the
site's configured cookie domain. The Host header those domains come from is untrusted."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from consentkit.cookies import _DOMAIN, domains_of

from conftest import choose

HOST = {"host": "www.shop.example"}


def expiries(response: Any) -> list[tuple[str, str | None]]:
    out = []
    for line in response.headers.get_list("set-cookie"):
        name = line.split("=", 1)[0]
        attrs = dict(part.strip().partition("=")[::2] for part in line.split(";")[1:])
        if attrs.get("Max-Age") == "0":
            out.append((name, attrs.get("Domain")))
    return sorted(out, key=lambda e: (e[0], e[1] or ""))


def test_a_withdrawn_cookie_is_expired_on_the_host_and_its_parent_domains(site: Any) -> None:
    client, _ = site()
    choose(client, {"action": "reject_all"})
    r = client.get("/", headers={**HOST, "cookie": "_ga=GA1.2.3"})
    assert expiries(r) == [("_ga", None), ("_ga", "shop.example"), ("_ga", "www.shop.example")]


def test_with_a_site_cookie_domain_the_host_only_cookie_is_expired_too(site: Any) -> None:
    client, _ = site(cookies={"domain": "shop.example"})
    choose(client, {"action": "reject_all"})
    r = client.get("/", headers={**HOST, "cookie": "_ga=GA1.2.3"})
    assert expiries(r) == [("_ga", None), ("_ga", "shop.example"), ("_ga", "www.shop.example")]
    assert any("Domain=shop.example" in line and line.startswith("_ga=") for line in r.headers.get_list("set-cookie"))


def test_a_withdrawal_expires_on_every_domain_in_its_own_reply(site: Any) -> None:
    client, _ = site()
    choose(client, {"action": "accept_all"})
    r = client.post("/_consent", json={"action": "reject_all"},
                    headers={**HOST, "origin": "http://www.shop.example", "cookie": "_ga=1; _hjid=2"})
    assert r.status_code == 200
    assert {e for e in expiries(r) if e[0] == "_ga"} == {("_ga", None), ("_ga", "shop.example"),
                                                         ("_ga", "www.shop.example")}


def test_no_domain_is_made_of_an_address_or_a_hostile_host(site: Any) -> None:
    client, _ = site()
    choose(client, {"action": "reject_all"})
    for host in ("127.0.0.1:8000", "[::1]:8000", "localhost", "evil.example\r\nx: y", "a..b.example", "-x.example"):
        r = client.get("/", headers={"host": host, "cookie": "_ga=1"})
        assert expiries(r) == [("_ga", None)], host


@given(st.text(max_size=300))
def test_domains_of_any_host_are_plain_host_names(host: str) -> None:
    found = domains_of(host)
    assert len(found) <= 4
    for domain in found:
        assert _DOMAIN.fullmatch(domain) and domain.count(".") >= 1
        assert host.lower().rstrip(".").split(":")[0].endswith(domain)
