"""The configuration of a site's app, found from `module:attr` (the command line's `--app`).

Sites that configure consentkit in code (FastAPI's `install`, a middleware given a `ConsentConfig`)
have no file for the command line to read; their app, imported, carries the configuration.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from consentkit.config import ConsentConfig
from consentkit.configfile import load_config
from consentkit.engine import Engine
from consentkit.errors import ConfigError

_FOLLOW = ("wsgi_app", "app", "middleware_stack", "application")
"""Attributes through which one app wraps the next (Flask's wsgi_app, a middleware's app, ...)."""


def config_of_app(spec: str) -> ConsentConfig:
    """Import `module:attr` (from the working directory too) and return its consentkit configuration."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ConfigError([f"--app: {spec!r} is not MODULE:ATTR, e.g. mysite.main:app"])
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError([f"--app: cannot import {module_name!r}: {exc}"]) from None
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ConfigError([f"--app: {module_name!r} has no attribute {attr!r}"]) from None
    found = _find(target)
    if found is None:
        raise ConfigError([
            f"--app: consentkit is not in front of {spec} (looked for ConsentMiddleware, WSGIConsentMiddleware, "
            "consentkit_fastapi.install, ConsentKit(app))"
        ])
    return found


def _find(app: Any) -> ConsentConfig | None:
    seen: set[int] = set()
    todo = [app]
    while todo and len(seen) < 64:
        node = todo.pop(0)
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Engine):
            return node.config
        for holder in (getattr(node, "engine", None), _in_mapping(getattr(node, "extensions", None)),
                       getattr(getattr(node, "state", None), "consentkit", None)):
            if isinstance(holder, Engine):  # a middleware; Flask's extension; FastAPI's install()
                return holder.config
        for declared in getattr(node, "user_middleware", None) or ():  # Starlette's add_middleware
            found = _declared(declared)
            if found is not None:
                return found
        todo.extend(getattr(node, name, None) for name in _FOLLOW)
    return None


def _in_mapping(value: Any) -> Any:
    return value.get("consentkit") if isinstance(value, dict) else None


def _declared(middleware: Any) -> ConsentConfig | None:
    """The configuration of a middleware declared but not built yet (built on the first request)."""
    from consentkit.asgi import ConsentMiddleware

    cls = getattr(middleware, "cls", None)
    if not (isinstance(cls, type) and issubclass(cls, ConsentMiddleware)):
        return None
    kwargs = getattr(middleware, "kwargs", {}) or {}
    engine = kwargs.get("engine")
    if isinstance(engine, Engine):
        return engine.config
    config = kwargs.get("config")
    if config is None and len(getattr(middleware, "args", ())) > 0:
        config = middleware.args[0]
    return load_config(config if not isinstance(config, os.PathLike) else str(config))
