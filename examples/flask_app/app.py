"""Leaf & Kettle, the Flask example: consentkit in front, no configuration needed to run it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, g, redirect, render_template, request
from werkzeug.wrappers import Response

from consentkit_flask import ConsentKit, get_engine

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent / "shared"  # templates and the stand-in chat widget, shared with the other example
TEAS = [("Sencha", "Grassy, bright, from Shizuoka."), ("Assam", "Malty and strong."),
        ("Darjeeling", "Floral first flush."), ("Rooibos", "Caffeine-free, sweet.")]


def create_app() -> Flask:
    app = Flask(__name__, template_folder=str(SHARED / "templates"))
    app.config["CONSENTKIT"] = {
        # A development secret: CONSENTKIT_SECRET_KEYS from the environment wins (as every
        # CONSENTKIT_* variable does); otherwise a fresh one per start.
        "secret_keys": [os.environ.get("CONSENTKIT_SECRET_KEYS") or secrets.token_urlsafe(32)],
        "storage_url": f"sqlite:///{HERE / 'consentkit.db'}",
        "banner": {"privacy_url": "/privacy"},
        # Live chat with a stand-in widget (examples/shared/chat-widget.js): the button shows once
        # "chat" is allowed, a consent placeholder before that; never on the privacy page.
        "chat": {"provider": "generic", "site_id": "leaf-kettle", "rules": {"exclude_paths": ["/privacy"]},
                 "template": '<script src="/chat-widget.js" nonce="{nonce}" async></script>'},
    }
    ConsentKit(app)

    @app.get("/")
    def home() -> str:
        return render_template("home.html")

    @app.get("/teas")
    def teas() -> str:
        return render_template("teas.html", teas=TEAS)

    @app.get("/privacy")
    def privacy() -> str:
        """Reads the consent in code: what is in effect for this visitor, and why."""
        consent = g.consent
        categories = [
            {"title": c.title, "key": c.key, "required": c.required, "on": consent.allows(c.key)}
            for c in get_engine().config.categories
        ]
        return render_template("privacy.html", categories=categories, theme=request.cookies.get("theme", "light"))

    @app.get("/theme")
    def theme() -> Response:
        """Sets the `theme` cookie (category "preferences"): consentkit drops it unless preferences are on."""
        response = redirect("/privacy")
        response.set_cookie("theme", "dark" if request.args.get("dark") else "light", max_age=86400 * 30)
        return response

    @app.get("/chat-widget.js")
    def chat_widget() -> Response:
        widget = (SHARED / "chat-widget.js").read_bytes()
        return Response(widget, mimetype="text/javascript")

    @app.get("/embed")
    def embed() -> str:
        """Stands in for a third-party video player, loaded only with "marketing" consent."""
        return render_template("embed.html")

    return app


app = create_app()
