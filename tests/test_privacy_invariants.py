"""The privacy rule, as properties over random configs, choices, signals and requests:
no stored event holds a field of a category not in effect for its request, and a DNT or GPC
request stores no per-visitor event."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentkit.collect.settings import FIELDS, GROUP_COLUMNS
from consentkit.config import ConsentConfig
from consentkit.consent import Choice, new_id
from consentkit.engine import Engine
from consentkit.http import RequestView
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


def _engine(tmp: Path, fields: dict[str, str], mode: str) -> Engine:
    cfg = ConsentConfig(
        secret_keys=["p" * 40], storage_url="sqlite://:memory:", trusted_proxies=["0.0.0.0/0"],
        collection={"fields": fields, "ip_mode": mode, "geoip_city_db": MAXMIND / "GeoIP2-City-Test.mmdb",
                    "geoip_isp_db": MAXMIND / "GeoIP2-ISP-Test.mmdb"},
    )
    return Engine(cfg)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=field_maps,
    granted=st.none() | st.frozensets(st.sampled_from(OPTIONAL)),
    hdrs=headers,
    query=st.sampled_from(["", "utm_source=x&gclid=1", "q=%ff"]),
    mode=st.sampled_from(["full", "truncated", "hash", "none"]),
)
def test_no_stored_field_outside_the_categories_in_effect(
    tmp_path_factory: Any, fields: dict[str, str], granted: frozenset[str] | None, hdrs: dict[str, str],
    query: str, mode: str,
) -> None:
    engine = _engine(tmp_path_factory.mktemp("p"), fields, mode)
    try:
        cookie = ""
        if granted is not None:
            value = engine.codec.encode(Choice(new_id(), granted, "1", time.time()))
            cookie = f"ck_consent={value}; {id_cookies(engine, new_id())}"
        req = RequestView("GET", "/page", query, {**hdrs, "host": "site.example", "cookie": cookie}, "10.0.0.1")
        ex = engine.begin(req)
        effective = ex.state.effective
        signalled = ex.state.signals.any
        engine.finish(ex, 200, "text/html; charset=utf-8")
        engine.writer.flush()
        rows = engine.store.query(f"SELECT {', '.join(EVENT_FIELDS)} FROM ck_events")
        if signalled or not any(cat in effective for cat in fields.values()):
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
