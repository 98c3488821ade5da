"""How consentkit fails: closed. Every adapter asks for its cookie plan through here.

If the core itself errs while deciding a response's cookies, letting the app's all through would set
cookies the visitor refused; so only the cookies of required categories (and consentkit's own choice
cookie) pass, and nothing is added. The failure is logged and counted (`core.failed`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from consentkit.http import CookiePlan
from consentkit.owners import ALWAYS

if TYPE_CHECKING:
    from consentkit.engine import Engine
    from consentkit.exchange import Exchange
    from consentkit.policy import Effective

log = logging.getLogger("consentkit")


def cookie_plan(
    engine: Engine, ex: Exchange, app_cookies: Sequence[str], effective: Effective | None = None, *,
    html: bool = False,
) -> CookiePlan:
    """`Engine.cookie_plan`, or the closed plan when it raises. Never raises."""
    try:
        return engine.cookie_plan(ex, app_cookies, effective, html=html)
    except Exception:  # noqa: BLE001 - logged and counted by `failed`
        return failed(engine, app_cookies)


def failed(engine: Engine, app_cookies: Sequence[str]) -> CookiePlan:
    """The plan while the core is failing: drop every app cookie but required categories', add
    nothing. Logs and counts the failure; call it from an `except` block. Never raises."""
    log.exception("consentkit: response processing failed; only required categories' cookies pass")
    try:
        engine.writer.tally("core.failed", "cookie_plan")
    except Exception:
        log.exception("consentkit: could not count a failure")
    return CookiePlan(frozenset(n for n in app_cookies if not may_pass(engine, n)), (), True)


def may_pass(engine: Engine, name: str) -> bool:
    """Whether an app's cookie may pass while the core is failing: a required category's cookie or
    consentkit's own choice cookie. Never raises (False when even that cannot be told)."""
    try:
        owner = engine.owners.owner(name)
        return owner is not None and (owner == ALWAYS or owner in engine.config.required)
    except Exception:  # noqa: BLE001 - `failed` logs the failure this is part of
        return False
