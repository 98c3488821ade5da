"""`consentkit demo` opens on a seeded month of traffic with the review console mounted beside the
site, and prints the console's address and a login made for this run."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from consentkit.config import ConsentConfig
from consentkit.review import audit
from consentkit.storage import open_store
from servers import BIN, running


@pytest.mark.server
@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
def test_the_demo_opens_on_a_month_of_traffic_and_prints_the_console_login(framework: str, tmp_path: Path) -> None:
    argv = [str(BIN / "consentkit"), "demo", "--framework", framework, "--port", "{port}"]
    started = time.monotonic()
    with running(argv, cwd=tmp_path, ready="/") as server:
        took = time.monotonic() - started
        out = server.output()
        console = re.search(r"review console:  (http://\S+/console/)  \(log in as (\w+), password (\S+); an officer\)",
                            out)
        assert console is not None, out
        assert console.group(1) == server.base + "/console/"
        r = httpx.get(console.group(1))
        assert r.status_code == 303 and r.headers["location"] == "/console/login"
        assert r.headers["content-security-policy"].startswith("default-src 'none'")
        assert httpx.get(server.base + "/").status_code == 200  # the site itself, as before
        url = re.search(r"storage:\s+(sqlite:///\S+) \(a month of made-up traffic: ([\d,]+) page views stored\)", out)
        assert url is not None, out
    assert took < 30  # seeding is quick (a few seconds at most; the server start is most of this)
    store = open_store(url.group(1), read_only=True)
    try:
        events, days = store.query("SELECT COUNT(*), COUNT(DISTINCT CAST(ts / 86400 AS INTEGER)) FROM ck_events")[0]
        assert events == int(url.group(2).replace(",", "")) and events > 1000 and days >= 28
        assert store.query("SELECT COUNT(*) FROM ck_ledger")[0][0] > 100
        counted = store.query("SELECT SUM(count) FROM ck_counts WHERE metric = 'pageviews'")[0][0]
        assert counted > events  # page views of visitors who did not allow analytics: counted only
        assert store.query("SELECT COUNT(*) FROM ck_rollup_days")[0][0] >= 28
        report = audit(store, ConsentConfig(secret_keys=["k" * 40], storage_url=url.group(1)), record=False)
        assert report.ok, report.findings[:5]  # made-up, but consistent with its consent
    finally:
        store.close()
