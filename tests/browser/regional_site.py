"""One site for visitors from several places, for the regional browser tests, under uvicorn.

The site believes Cloudflare's location headers and X-Forwarded-For from the loopback proxy (the
tests set them as a CDN in front would), and reads the MaxMind test database otherwise. Every page
carries a strict Content-Security-Policy with a fresh nonce.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from consentkit import ConsentConfig, ConsentMiddleware
from consentkit.banner.render import assets_html, banner_html

DB = os.environ.get("CK_TEST_DB", "/tmp/consentkit-regional.db")
CITY = Path(__file__).resolve().parents[1] / "data" / "maxmind" / "GeoIP2-City-Test.mmdb"
CONFIG = ConsentConfig(
    secret_keys=["regional-test-key-" + "k" * 32],
    storage_url=f"sqlite:///{DB}",
    trusted_proxies=["127.0.0.0/8"],
    collection={"geoip_city_db": str(CITY)},
    regions={"edge": "cloudflare"},
    banner={"privacy_url": "/privacy"},
)


async def home(request: Request) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    state = request.scope["consentkit"]
    allowed = "yes" if state.allows("marketing") else "no"
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Regional shop</title>{assets_html(CONFIG, nonce=nonce)}</head><body>"
        f"{banner_html(CONFIG, state, nonce=nonce, next_url='/')}"
        f'<main><h1>Regional shop</h1><p id="regime">{state.regime}</p>'
        f'<p id="marketing">marketing allowed: {allowed}</p></main></body></html>'
    )
    csp = (f"default-src 'self'; script-src 'nonce-{nonce}'; style-src 'self'; img-src 'self';"
           " connect-src 'self'; object-src 'none'; base-uri 'none'")
    return HTMLResponse(html, headers={"content-security-policy": csp})


app = ConsentMiddleware(Starlette(routes=[Route("/", home)]), config=CONFIG)
