"""When the core errs while filtering a response's cookies, only required categories' cookies pass."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from conftest import choose


def _break(engine: Any) -> None:
    def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("cookie control failed")

    engine.added_cookies = failing


def test_a_failing_core_lets_only_required_cookies_through(site: Any, caplog: pytest.LogCaptureFixture) -> None:
    client, engine = site()
    choose(client, {"action": "accept_all"})  # even a visitor who accepted everything: the core cannot tell
    _break(engine)
    with caplog.at_level(logging.ERROR, logger="consentkit"):
        r = client.get("/?set=_ga,sessionid,lang,csrftoken,undeclared")
    assert r.status_code == 200 and b"hello" in r.content
    names = sorted(v.split("=")[0] for v in r.headers.get_list("set-cookie"))
    assert names == ["csrftoken", "sessionid"]
    assert "only required categories' cookies pass" in caplog.text
    engine.writer.flush()
    assert [(m, k, n) for _, m, k, n in engine.store.counts("core.failed")] == [("core.failed", "cookie_plan", 1)]


def test_a_choice_made_while_cookie_control_fails_still_sets_only_the_choice_cookie(site: Any) -> None:
    client, engine = site()
    _break(engine)
    r = choose(client, {"action": "accept_all"})
    assert r.status_code == 200 and r.json()["choice_made"] is True
    assert [v.split("=")[0] for v in r.headers.get_list("set-cookie")] == ["ck_consent"]


def test_a_failing_endpoint_is_a_500_that_sets_nothing_and_is_counted(
    site: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client, engine = site()

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("signing failed")

    engine.codec.encode = failing
    with caplog.at_level(logging.ERROR, logger="consentkit"):
        r = choose(client, {"action": "accept_all"})
    assert r.status_code == 500 and r.json() == {"error": "consentkit could not answer this request"}
    assert r.headers["x-content-type-options"] == "nosniff" and "set-cookie" not in r.headers
    assert "endpoint failed" in caplog.text
    engine.writer.flush()
    assert [(m, k, n) for _, m, k, n in engine.store.counts("core.failed")] == [("core.failed", "endpoint", 1)]
