"""The privacy rule, as properties over random configs, choices, signals and requests (page views,
beacons and pixels): no stored event holds a field of a category not in effect for its request, and
a DNT or GPC request stores no per-visitor event unless the site lets an explicit opt-in stand and
the visitor gave it while the same signals were present."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentkit import endpoints
from consentkit.collect.settings import FIELDS, GROUP_COLUMNS
from consentkit.config import ConsentConfig
from consentkit.consent import Choice, new_id
from consentkit.engine import Engine
from consentkit.http import RequestView
from consentkit.signals import Signals
from consentkit.storage.schema import EVENT_FIELDS

from conftest import id_cookies

MAXMIND = Path(__file__).parent / "data" / "maxmind"
CATS = ("necessary", "preferences", "analytics", "marketing", "chat")
ALWAYS = {"ts", "kind", "method", "host", "path", "status", "duration_ms", "consent_id", "policy_version", "basis",
          "truncated", "engaged_ms", "scroll", "clicks"}
OPTIONAL = ("preferences", "analytics", "marketing", "chat")

field_maps = st.fixed_dictionaries({f: st.sampled_from(CATS) for f in FIELDS})
headers = st.fixed_dictionaries(
    {},
    optional={
        "user-agent": st.sampled_from(["Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1",
                                       "curl/8.0", "", "\x00\xff garbage"]),
        "accept-language": st.sampled_from(["fr-FR,fr;q=0.9", "*", "", "x" * 300]),
        "referer": st.sampled_from(["https://www.bing.com/search?q=a", "https://t.co/x", "junk", ""]),
        "x-forwarded-for": st.sampled_from(["81.2.69.142", "2001:480::1", "garbage, 1.1.1.1", "::ffff:89.160.20.112"]),
        "dnt": st.sampled_from(["1", "0"]),
        "sec-gpc": st.sampled_from(["1", "0", "yes"]),
    },
)


def _engine(tmp: Path, fields: dict[str, str], mode: str, overrides: bool) -> Engine:
    cfg = ConsentConfig(
        secret_keys=["p" * 40], storage_url="sqlite://:memory:", trusted_proxies=["0.0.0.0/0"],
        signals={"explicit_optin_overrides": overrides},
        collection={"fields": fields, "ip_mode": mode, "geoip_city_db": MAXMIND / "GeoIP2-City-Test.mmdb",
                    "geoip_isp_db": MAXMIND / "GeoIP2-ISP-Test.mmdb"},
    )
    return Engine(cfg)


def _serve(engine: Engine, kind: str, query: str, headers: dict[str, str]) -> Any:
    """One request of `kind`; returns the consent state it was served under."""
    if kind == "pageview":
        ex = engine.begin(RequestView("GET", "/page", query, headers, "10.0.0.1"))
        engine.finish(ex, 200, "text/html; charset=utf-8")
    elif kind == "beacon":
        ex = engine.begin(RequestView("POST", "/_consent/beacon", "", headers, "10.0.0.1"))
        reply = endpoints.handle(engine, ex, b'{"path": "/page", "engaged_ms": 1200, "scroll": 50}')
        assert reply.status == 204
    else:
        ex = engine.begin(RequestView("GET", "/_consent/pixel.gif", "p=/page&" + query, headers, "10.0.0.1"))
        assert endpoints.handle(engine, ex, b"").status == 200
    return ex.state


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=field_maps,
    granted=st.none() | st.frozensets(st.sampled_from(OPTIONAL)),
    chosen_under=st.sampled_from([Signals(), Signals(dnt=True), Signals(gpc=True), Signals(True, True)]),
    overrides=st.booleans(),
    kind=st.sampled_from(["pageview", "beacon", "pixel"]),
    hdrs=headers,
    query=st.sampled_from(["", "utm_source=x&gclid=1", "q=%ff"]),
    mode=st.sampled_from(["full", "truncated", "hash", "none"]),
)
def test_no_stored_field_outside_the_categories_in_effect(
    tmp_path_factory: Any, fields: dict[str, str], granted: frozenset[str] | None, chosen_under: Signals,
    overrides: bool, kind: str, hdrs: dict[str, str], query: str, mode: str,
) -> None:
    engine = _engine(tmp_path_factory.mktemp("p"), fields, mode, overrides)
    try:
        cookie = ""
        if granted is not None:
            value = engine.codec.encode(Choice(new_id(), granted, "1", time.time(), chosen_under))
            cookie = f"ck_consent={value}; {id_cookies(engine, new_id())}"
        state = _serve(engine, kind, query, {**hdrs, "host": "site.example", "cookie": cookie})
        effective = state.effective
        signals = state.signals
        # Stated from the inputs, not from the decision: a signal keeps the visitor anonymous unless
        # the site lets an opt-in stand and this one was given under every signal now present.
        opt_in_stands = (
            overrides and granted is not None
            and (not signals.dnt or chosen_under.dnt) and (not signals.gpc or chosen_under.gpc)
        )
        engine.writer.flush()
        rows = engine.store.query(f"SELECT {', '.join(EVENT_FIELDS)} FROM ck_events")
        if (signals.any and not opt_in_stands) or not any(cat in effective for cat in fields.values()):
            assert rows == []
            return
        (row,) = rows
        event = dict(zip(EVENT_FIELDS, row, strict=True))
        allowed_columns = set(ALWAYS)
        for group, cat in fields.items():
            if cat in effective:
                allowed_columns |= set(GROUP_COLUMNS[group])
        leaked = {k for k, v in event.items() if v is not None and k not in allowed_columns}
        assert not leaked, (leaked, effective)
        assert event["basis"] == ",".join(sorted(effective))
    finally:
        engine.close()
