from __future__ import annotations

import atexit
import os
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from consentkit.asgi import ConsentMiddleware
from consentkit.banner.render import assets_html, banner_html
from consentkit.config import ConsentConfig
from consentkit.configfile import load_config
from consentkit.consent import ConsentState
from consentkit.engine import Engine
from consentkit_fastapi.openapi import add_routes

STATE_KEY = "consentkit"


def install(
    app: FastAPI,
    config: ConsentConfig | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    openapi: bool = True,
) -> Engine:
    """Put consentkit in front of `app`; returns the app's Engine.

    Adds the core ASGI middleware (which starts the background writer on lifespan start-up and
    flushes it on shutdown, around the app's own lifespan), and — unless ``openapi=False`` —
    documents consentkit's endpoints in the app's OpenAPI schema. ``config`` is a ``ConsentConfig``,
    a dict or a TOML path; None reads consentkit.toml / ``[tool.consentkit]`` from the working
    directory. ``CONSENTKIT_*`` environment variables win. A bad configuration raises
    ``consentkit.ConfigError`` here, one line per problem naming the key.
    """
    if isinstance(getattr(app.state, STATE_KEY, None), Engine):
        raise RuntimeError("consentkit is already installed on this app")
    engine = Engine(load_config(config))
    app.add_middleware(ConsentMiddleware, engine=engine)
    setattr(app.state, STATE_KEY, engine)
    atexit.register(engine.close)
    if openapi:
        add_routes(app, engine.config)
    return engine


def get_engine(app: Any) -> Engine:
    """The Engine in front of `app` (from ``install``, or found in its middleware stack)."""
    engine = getattr(app.state, STATE_KEY, None)
    if isinstance(engine, Engine):
        return engine
    node = getattr(app, "middleware_stack", None)
    for _ in range(64):
        if node is None:
            break
        if isinstance(node, ConsentMiddleware):
            setattr(app.state, STATE_KEY, node.engine)
            return node.engine
        node = getattr(node, "app", None)
    raise RuntimeError("consentkit is not in front of this app: call consentkit_fastapi.install(app, config)")


def get_consent(request: Request) -> ConsentState:
    """The request's ConsentState, for ``Depends``; use the ``Consent`` annotation."""
    state = request.scope.get("consentkit")
    if not isinstance(state, ConsentState):
        raise RuntimeError("consentkit is not in front of this app: call consentkit_fastapi.install(app, config)")
    return state


Consent = Annotated[ConsentState, Depends(get_consent)]


def _nonce(request: Request, nonce: str | None) -> str | None:
    if nonce:
        return nonce
    found = getattr(request.state, "csp_nonce", None)
    return str(found) if found else None


def consent_assets(request: Request, *, nonce: str | None = None) -> str:
    """The banner's stylesheet and deferred script (HTML); put it in ``<head>``."""
    return assets_html(get_engine(request.app).config, nonce=_nonce(request, nonce))


def consent_banner(
    request: Request, *, lang: str | None = None, nonce: str | None = None, pixel: bool = False
) -> str:
    """The consent banner for this request (HTML, every text escaped); put it first in ``<body>``."""
    query = request.url.query
    return banner_html(
        get_engine(request.app).config,
        get_consent(request),
        lang=lang,
        accept_language=request.headers.get("accept-language", ""),
        nonce=_nonce(request, nonce),
        next_url=request.url.path + (f"?{query}" if query else ""),
        pixel=pixel,
    )


def consent_context(request: Request) -> dict[str, Any]:
    """A context processor for ``Jinja2Templates(..., context_processors=[consent_context])``.

    Templates then write ``{{ consent_banner() }}``, ``{{ consent_assets() }}``,
    ``{% if consent.allows("analytics") %}`` and ``{{ consent.regime }}`` (the regional regime).
    """
    from markupsafe import Markup

    def banner(lang: str | None = None, pixel: bool = False) -> Markup:
        return Markup(consent_banner(request, lang=lang, pixel=pixel))

    def assets() -> Markup:
        return Markup(consent_assets(request))

    return {"consent": get_consent(request), "consent_banner": banner, "consent_assets": assets}
