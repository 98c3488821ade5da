from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, g, request
from flask.cli import with_appcontext
from markupsafe import Markup
from werkzeug.local import LocalProxy

from consentkit import cli
from consentkit.banner.render import assets_html, banner_html
from consentkit.config import ConsentConfig
from consentkit.configfile import load_config
from consentkit.consent import ConsentState
from consentkit.engine import Engine
from consentkit.errors import ConfigError
from consentkit.review.declaration_render import cookie_declaration_html
from consentkit.wsgi import WSGIConsentMiddleware

EXTENSION = "consentkit"
ConfigSource = ConsentConfig | Mapping[str, Any] | str | os.PathLike[str]


class ConsentKit:
    """The Flask extension. Configuration, first found wins:

    1. the ``config`` given here (a ``ConsentConfig``, a dict or a TOML path);
    2. ``app.config["CONSENTKIT"]`` (a dict or a ``ConsentConfig``);
    3. ``app.config["CONSENTKIT_FILE"]`` (a TOML path; relative to the app's root path);
    4. ``consentkit.toml`` / ``[tool.consentkit]`` in the working directory.

    ``CONSENTKIT_*`` environment variables win over all of them. A bad configuration raises
    ``consentkit.ConfigError`` (one line per problem, naming the key) from ``init_app``.
    """

    def __init__(self, app: Flask | None = None, *, config: ConfigSource | None = None) -> None:
        self.config = config
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, *, config: ConfigSource | None = None) -> Engine:
        if EXTENSION in app.extensions:
            raise RuntimeError("consentkit is already set up on this app")
        engine = Engine(resolve_config(app, config if config is not None else self.config))
        # The core middleware does the work (and starts the writer); Flask only gets the glue.
        app.wsgi_app = WSGIConsentMiddleware(app.wsgi_app, engine=engine)  # type: ignore[method-assign]
        app.extensions[EXTENSION] = engine
        app.before_request(_copy_consent)
        if engine.chat.active:
            app.after_request(_share_nonce)
        app.jinja_env.globals.update(
            consent_banner=consent_banner, consent_assets=consent_assets, consent=_consent_proxy,
            cookie_declaration=cookie_declaration,
        )
        app.cli.add_command(consentkit_command)
        atexit.register(engine.close)
        return engine


def resolve_config(app: Flask, given: ConfigSource | None) -> ConsentConfig:
    if given is not None:
        return load_config(given)
    if app.config.get("CONSENTKIT") is not None:
        source = app.config["CONSENTKIT"]
        if not isinstance(source, ConsentConfig | Mapping):
            raise ConfigError([f"CONSENTKIT: expected a dict or a ConsentConfig, got {type(source).__name__}"])
        return load_config(source)
    if app.config.get("CONSENTKIT_FILE"):
        path = Path(app.config["CONSENTKIT_FILE"])
        return load_config(path if path.is_absolute() else Path(app.root_path) / path)
    return load_config()


def get_engine(app: Flask | None = None) -> Engine:
    """The Engine of `app` (default: the current app)."""
    target = app if app is not None else current_app
    try:
        engine: Engine = target.extensions[EXTENSION]
    except KeyError:
        raise RuntimeError("consentkit is not set up on this app: call ConsentKit(app)") from None
    return engine


def _copy_consent() -> None:
    g.consent = request.environ.get("consentkit")


def _share_nonce(response: Any) -> Any:
    """The page's CSP nonce where the core's middleware looks for it (for the chat it inserts)."""
    nonce = _nonce()
    if nonce and "csp_nonce" not in request.environ:
        request.environ["csp_nonce"] = nonce
    return response


def current_consent() -> ConsentState:
    """This request's ConsentState (``g.consent``)."""
    state = g.get("consent")
    if state is None:
        raise RuntimeError(
            "no consent state for this request: it did not pass through app.wsgi_app (set up by ConsentKit(app))"
        )
    assert isinstance(state, ConsentState)
    return state


_consent_proxy: ConsentState = LocalProxy(current_consent)  # type: ignore[assignment]


def _nonce() -> str | None:
    nonce = getattr(request, "csp_nonce", None) or g.get("csp_nonce")  # Flask-Talisman sets request.csp_nonce
    return str(nonce) if nonce else None


def consent_assets() -> Markup:
    """The banner's stylesheet and deferred script; put it in ``<head>``."""
    return Markup(assets_html(get_engine().config, nonce=_nonce()))


def consent_banner(lang: str | None = None, pixel: bool = False) -> Markup:
    """The consent banner for this request; put it first in ``<body>``."""
    query = request.query_string.decode("latin-1")
    html = banner_html(
        get_engine().config,
        current_consent(),
        lang=lang,
        accept_language=request.headers.get("Accept-Language", ""),
        nonce=_nonce(),
        next_url=request.path + (f"?{query}" if query else ""),
        pixel=pixel,
    )
    return Markup(html)  # every configured text is escaped by the renderer


def cookie_declaration(lang: str | None = None) -> Markup:
    """The cookie declaration for the privacy page, in ``lang``, else the visitor's Accept-Language
    among the banner's languages; lifetimes as seen in the site's responses."""
    engine = get_engine()
    html = cookie_declaration_html(engine.config, lang, store=engine.store,
                                   accept_language=request.headers.get("Accept-Language", ""))
    return Markup(html)  # every configured and observed value is escaped by the renderer


@click.command(
    EXTENSION,
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    add_help_option=False,
    help="consentkit's command line (check, events, audit, report and the rest) with this app's config.",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def consentkit_command(args: tuple[str, ...]) -> None:
    # Commands that would look for a config file get this app's; a path or --config still wins.
    sys.exit(cli.main(list(args) or ["--help"], config=get_engine().config))
