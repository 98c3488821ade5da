"""The demo: a small site with consentkit in front, a fresh SQLite database, no configuration."""

from __future__ import annotations

import html
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any


def demo_config(storage_url: str) -> dict[str, Any]:
    return {"secret_keys": [secrets.token_urlsafe(32)], "storage_url": storage_url}


def starlette_app(storage_url: str) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    from consentkit.asgi import ConsentMiddleware
    from consentkit.config import ConsentConfig

    config = ConsentConfig(**demo_config(storage_url))

    def page(request: Request, title: str, body: str) -> HTMLResponse:
        state = request.scope["consentkit"]
        banner = ""
        assets = ""
        try:
            from consentkit.banner.render import assets_html, banner_html

            assets = assets_html(config)
            banner = banner_html(config, state, accept_language=request.headers.get("accept-language", ""),
                                 next_url=request.url.path)
        except ImportError:
            pass
        allowed = ", ".join(sorted(state.effective))
        return HTMLResponse(
            f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>{assets}"
            f"</head><body><h1>{html.escape(title)}</h1>{body}<p>Categories in effect: {html.escape(allowed)}</p>"
            f"<nav><a href=/>Home</a> · <a href=/pricing>Pricing</a> · <a href=/_consent/state>State</a></nav>"
            f"{banner}</body></html>"
        )

    async def home(request: Request) -> HTMLResponse:
        return page(request, "consentkit demo", "<p>A small site that only tracks what you allow.</p>"
                    '<script type="text/plain" data-consent="analytics">document.body.dataset.analytics="ran"</script>')

    async def pricing(request: Request) -> HTMLResponse:
        return page(request, "Pricing", "<p>Plans for every size.</p>")

    app = Starlette(routes=[Route("/", home), Route("/pricing", pricing)])
    return ConsentMiddleware(app, config=config)


def run(framework: str = "starlette", port: int = 8000, storage_url: str | None = None, host: str = "127.0.0.1") -> int:
    import uvicorn

    if storage_url is None:
        tmp = Path(tempfile.mkdtemp(prefix="consentkit-demo-"))
        storage_url = f"sqlite:///{tmp / 'demo.db'}"
    os.environ.setdefault("CONSENTKIT_DEMO_STORAGE", storage_url)
    app = starlette_app(storage_url)
    base = f"http://{host}:{port}"
    print(f"consentkit demo ({framework}) on {base}/")
    print(f"  consent state:   {base}/_consent/state")
    print(f"  storage:         {storage_url}")
    print(f"  review:          consentkit events --storage-url {storage_url}")
    print(f"                   consentkit ledger verify --storage-url {storage_url}")
    print("Press Ctrl-C to stop.")
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
