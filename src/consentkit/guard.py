"""How consentkit fails: closed. Every adapter filters a response's cookies through here.

If the core itself errs while filtering the app's Set-Cookie headers, letting them all through
would set cookies the visitor refused; so only the cookies of required categories (and
consentkit's own choice cookie) pass. The failure is logged and counted (`core.failed`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from consentkit.cookieparse import set_cookie_name
from consentkit.owners import ALWAYS

if TYPE_CHECKING:
    from consentkit.engine import Engine
    from consentkit.exchange import Exchange
    from consentkit.policy import Effective

log = logging.getLogger("consentkit")


def response_headers(
    engine: Engine, ex: Exchange, headers: list[tuple[str, str]], effective: Effective | None = None, *,
    html: bool = False,
) -> list[tuple[str, str]]:
    """`Engine.response_headers`, or what `failed` leaves of `headers` when it raises. Never raises."""
    try:
        return engine.response_headers(ex, headers, effective, html=html)
    except Exception:  # noqa: BLE001 - logged and counted by `failed`
        return failed(engine, headers)


def failed(engine: Engine, headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` without the Set-Cookie headers of optional categories or undeclared cookies; logs
    and counts the failure. Call it from an `except` block. Never raises."""
    log.exception("consentkit: response processing failed; only required categories' cookies pass")
    try:
        engine.writer.tally("core.failed", "response_headers")
    except Exception:
        log.exception("consentkit: could not count a failure")
    return [(k, v) for k, v in headers if k.lower() != "set-cookie" or may_pass(engine, v)]


def may_pass(engine: Engine, set_cookie: str) -> bool:
    """Whether a Set-Cookie header value may pass while the core is failing: a required category's
    cookie or consentkit's own choice cookie. Never raises (False when even that cannot be told)."""
    try:
        owner = engine.owners.owner(set_cookie_name(set_cookie))
        return owner is not None and (owner == ALWAYS or owner in engine.config.required)
    except Exception:  # noqa: BLE001 - `failed` logs the failure this is part of
        return False
