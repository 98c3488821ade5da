"""Leaf & Kettle, the FastAPI example: consentkit in front, no configuration needed to run it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from consentkit_fastapi import Consent, consent_context, install

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent / "shared"  # templates and the stand-in chat widget, shared with the other example
TEAS = [("Sencha", "Grassy, bright, from Shizuoka."), ("Assam", "Malty and strong."),
        ("Darjeeling", "Floral first flush."), ("Rooibos", "Caffeine-free, sweet.")]

app = FastAPI(title="Leaf & Kettle")
engine = install(app, {
    # A development secret: CONSENTKIT_SECRET_KEYS from the environment wins (as every CONSENTKIT_*
    # variable does); otherwise a fresh one per start.
    "secret_keys": [os.environ.get("CONSENTKIT_SECRET_KEYS") or secrets.token_urlsafe(32)],
    "storage_url": f"sqlite:///{HERE / 'consentkit.db'}",
    "banner": {"privacy_url": "/privacy"},
    # Live chat with a stand-in widget (examples/shared/chat-widget.js): the button shows once
    # "chat" is allowed, a consent placeholder before that; never on the privacy page.
    "chat": {"provider": "generic", "site_id": "leaf-kettle", "rules": {"exclude_paths": ["/privacy"]},
             "template": '<script src="/chat-widget.js" nonce="{nonce}" async></script>'},
})
templates = Jinja2Templates(directory=SHARED / "templates", context_processors=[consent_context])


@app.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "home.html")


@app.get("/teas", response_class=HTMLResponse, include_in_schema=False)
def teas(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "teas.html", {"teas": TEAS})


@app.get("/privacy", response_class=HTMLResponse, include_in_schema=False)
def privacy(request: Request, consent: Consent) -> HTMLResponse:
    """Reads the consent in code: what is in effect for this visitor, and why."""
    categories = [
        {"title": c.title, "key": c.key, "required": c.required, "on": consent.allows(c.key)}
        for c in engine.config.categories
    ]
    theme = request.cookies.get("theme", "light")
    return templates.TemplateResponse(request, "privacy.html", {"categories": categories, "theme": theme})


@app.get("/theme", include_in_schema=False)
def theme(dark: bool = False) -> RedirectResponse:
    """Sets the `theme` cookie (category "preferences"): consentkit drops it unless preferences are on."""
    response = RedirectResponse("/privacy", status_code=303)
    response.set_cookie("theme", "dark" if dark else "light", max_age=86400 * 30)
    return response


@app.get("/chat-widget.js", include_in_schema=False)
def chat_widget() -> Response:
    return Response((SHARED / "chat-widget.js").read_bytes(), media_type="text/javascript")


@app.get("/embed", response_class=HTMLResponse, include_in_schema=False)
def embed(request: Request) -> HTMLResponse:
    """Stands in for a third-party video player, loaded only with "marketing" consent."""
    return templates.TemplateResponse(request, "embed.html")


@app.get("/api/consent")
def my_consent(consent: Consent) -> dict[str, object]:
    """An API route reading the consent through the dependency."""
    return {"analytics": consent.allows("analytics"), "effective": sorted(consent.effective)}
