"""What the regional tests share: addresses of the MaxMind test database, and a regional site."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import ORIGIN

CITY = Path(__file__).resolve().parents[1] / "data" / "maxmind" / "GeoIP2-City-Test.mmdb"
GERMANY = "2a02:d180::1"  # DE, no subdivision in the test database
LONDON = "81.2.69.142"  # GB-ENG
SAN_DIEGO = "2001:480:10::1"  # US-CA: an opt-out law that makes GPC binding
MILTON = "216.160.83.56"  # US-WA: no comprehensive privacy law
NO_COUNTRY = "214.1.1.1"  # listed in the database without a country
ABSENT = "1.1.1.1"  # not in the test database at all
ALL = ["analytics", "chat", "marketing", "necessary", "preferences"]


def regional(site: Callable[..., Any], **overrides: Any) -> tuple[Any, Any]:
    overrides.setdefault("regions", {})
    overrides.setdefault("trusted_proxies", ["127.0.0.0/8"])
    overrides.setdefault("collection", {"geoip_city_db": str(CITY)})
    return site(**overrides)


def state(client: Any, ip: str, **headers: str) -> dict[str, Any]:
    r = client.get("/_consent/state", headers={"x-forwarded-for": ip, **headers})
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


def choose_from(client: Any, ip: str, body: dict[str, Any], *, gpc: bool = False) -> dict[str, Any]:
    headers = {**ORIGIN, "x-forwarded-for": ip, **({"sec-gpc": "1"} if gpc else {})}
    r = client.post("/_consent", json=body, headers=headers)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out
