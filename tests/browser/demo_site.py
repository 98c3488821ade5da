"""A small shop-like site for the browser tests, served under uvicorn by the conftest.

Every page carries a strict Content-Security-Policy with a fresh nonce, so the banner is tested
under `script-src 'nonce-…'; style-src 'self'`. Query parameters pick the page language (`lang`)
and the banner layout (`layout`).
"""

from __future__ import annotations

import os
import secrets
from html import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from consentkit import ConsentConfig, ConsentMiddleware
from consentkit.banner.render import assets_html, banner_html
from consentkit.banner.settings import BannerConfig

DB = os.environ.get("CK_TEST_DB", "/tmp/consentkit-browser.db")
CONFIG = ConsentConfig(
    secret_keys=["browser-test-key-" + "k" * 32],
    storage_url=f"sqlite:///{DB}",
    banner=BannerConfig(privacy_url="/privacy"),
)
GA_SCRIPT = (
    "window.analyticsRan = true;"
    ' document.cookie = "_ga=GA1.1.42.1700000000; path=/; max-age=3600; samesite=lax";'
)


def csp(nonce: str) -> str:
    return (
        f"default-src 'self'; script-src 'nonce-{nonce}'; style-src 'self'; img-src 'self';"
        " frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'"
    )


def page(request: Request, body: str, title: str = "Demo shop") -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    lang = request.query_params.get("lang", "en")
    cfg = CONFIG
    layout = request.query_params.get("layout")
    if layout in ("bar-bottom", "bar-top", "box", "modal"):
        cfg = CONFIG.model_copy(update={"banner": CONFIG.banner.model_copy(update={"layout": layout})})
    state = request.scope["consentkit"]
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>{assets_html(cfg, nonce=nonce)}</head><body>"
        f"{banner_html(cfg, state, lang=lang, nonce=nonce, next_url=path, pixel=True)}"
        f"<main><h1>{escape(title)}</h1>{body.replace('NONCE', nonce)}</main></body></html>"
    )
    return HTMLResponse(html, headers={"content-security-policy": csp(nonce)})


async def home(request: Request) -> HTMLResponse:
    allowed = "yes" if request.scope["consentkit"].allows("analytics") else "no"
    return page(request, (
        f'<p id="allowed">analytics allowed: {allowed}</p>'
        '<p><a id="out" href="https://example.org/elsewhere">An outside link</a></p>'
        '<p><a id="privacy" href="/privacy">Privacy policy</a></p>'
        f'<script type="text/plain" data-consent="analytics" nonce="NONCE">{GA_SCRIPT}</script>'
        '<iframe id="map" title="Map of the shop" data-consent="marketing" data-src="/embed"'
        ' width="300" height="150"></iframe>'
        + "<p>Filler text so the page can scroll.</p>" * 60
    ))


async def allowed(request: Request) -> HTMLResponse:
    allowed = "yes" if request.scope["consentkit"].allows("analytics") else "no"
    return page(request, f'<p id="allowed">analytics allowed: {allowed}</p>')


async def privacy(request: Request) -> HTMLResponse:
    return page(request, "<p>What we collect and why.</p>", "Privacy policy")


async def embed(request: Request) -> HTMLResponse:
    return HTMLResponse('<!doctype html><html lang="en"><title>Map</title><p id="embedded">A map</p></html>')


app = ConsentMiddleware(
    Starlette(routes=[
        Route("/", home), Route("/allowed", allowed), Route("/privacy", privacy), Route("/embed", embed),
    ]),
    config=CONFIG,
)
