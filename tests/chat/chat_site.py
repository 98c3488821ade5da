"""A small site for the chat browser test, served under uvicorn by test_chat_browser.py.

The chat provider is "generic", pointing at a fake provider script this site serves itself
(`/fake-chat.js`), so the test needs no network. Every page carries a strict nonce-based CSP.
"""

from __future__ import annotations

import os
import secrets

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from consentkit import ConsentConfig, ConsentMiddleware
from consentkit.banner.render import assets_html, banner_html
from consentkit.chat import ChatConfig, ChatDecision, VisitorContext
from consentkit.chat.render import snippet

CONFIG = ConsentConfig(
    secret_keys=["chat-browser-test-key-" + "k" * 32],
    storage_url=f"sqlite:///{os.environ.get('CK_CHAT_DB', '/tmp/consentkit-chat-browser.db')}",
    chat={
        "provider": "generic",
        "site_id": "acme",
        "template": '<script src="/fake-chat.js" data-site="{site_id}" nonce="{nonce}" async></script>',
        "rules": {"exclude_paths": ["/no-chat*", "/preset/*"]},
    },
)
FAKE_PROVIDER = """
(function () {
  var me = document.currentScript, data = JSON.parse(document.getElementById('consentkit-chat').textContent);
  var b = document.createElement('button');
  b.id = 'fake-chat-button';
  b.textContent = 'Chat with us';
  b.setAttribute('data-site', me ? me.getAttribute('data-site') : '');
  b.setAttribute('data-pages', (data.prechat.pages || []).join(','));
  document.body.appendChild(b);
  window.fakeChatLoads = (window.fakeChatLoads || 0) + 1;
  document.cookie = 'twk_fake=1; path=/; max-age=600';
})();
"""


def csp(nonce: str) -> str:
    return f"default-src 'self'; script-src 'nonce-{nonce}'; style-src 'self'; object-src 'none'; base-uri 'none'"


def page(request: Request) -> Response:
    nonce = secrets.token_urlsafe(16)
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>'
        f"<body><main><h1>Shop</h1><p>{request.url.path}</p></main></body></html>"
    )
    return HTMLResponse(html, headers={"content-security-policy": csp(nonce)})


def with_banner(request: Request) -> Response:
    """A long page with the consent banner as well; `?lang=` and `?layout=` choose the banner's."""
    nonce = secrets.token_urlsafe(16)
    lang = request.query_params.get("lang", "en")
    cfg = CONFIG
    layout = request.query_params.get("layout")
    if layout in ("bar-bottom", "bar-top", "box", "modal"):
        cfg = CONFIG.model_copy(update={"banner": CONFIG.banner.model_copy(update={"layout": layout})})
    state = request.scope["consentkit"]
    html = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Shop</title>{assets_html(cfg, nonce=nonce)}</head><body>"
        f"{banner_html(cfg, state, lang=lang, nonce=nonce, next_url=request.url.path)}"
        "<main><h1>Shop</h1>" + "<p>Filler text so the page can scroll.</p>" * 60 + "</main></body></html>"
    )
    return HTMLResponse(html, headers={"content-security-policy": csp(nonce)})


PRESETS = {
    "livechat": {"site_id": "12345678"},
    "tawkto": {"site_id": "5f1e2d3c4b5a69788796a5b4", "widget_id": "1abc"},
    "crisp": {"site_id": "e987cede-c42d-4c32-8cf3-1a4a074abd73"},
    "chatwoot": {"site_id": "Fdm5ypwCWKm8fAEpf9w2Rqsm", "base_url": "https://chat.example.com"},
    "zendesk": {"site_id": "4cee5b4f-da79-4cae-891a-4efa9d5fa1de"},
}


def preset(request: Request) -> Response:
    """A page deploying one preset provider as the server renders it (the provider's host is faked)."""
    name = request.path_params["name"]
    nonce = secrets.token_urlsafe(16)
    cfg = ChatConfig(provider=name, **PRESETS[name])
    decision = ChatDecision("show", (), "shown", {"plan": "gold"}, {"language": "de", "pages": ["/a", "/b"]})
    chat = snippet(cfg, CONFIG.prefix, decision, nonce=nonce, grant=["chat"], next_url="/")
    html = f'<!doctype html><html><head><meta charset="utf-8"><title>{name}</title></head><body>{chat}</body></html>'
    return HTMLResponse(html, headers={"content-security-policy": csp(nonce)})


def fake_provider(request: Request) -> Response:
    return Response(FAKE_PROVIDER, media_type="text/javascript")


inner = Starlette(routes=[
    Route("/", page), Route("/other", page), Route("/no-chat", page), Route("/boom", page),
    Route("/fake-chat.js", fake_provider), Route("/preset/{name}", preset), Route("/with-banner", with_banner),
])
app = ConsentMiddleware(inner, config=CONFIG)


@app.engine.chat.rule(needs={"pages"})
def explode_on_boom(ctx: VisitorContext) -> bool:
    if ctx.path == "/boom":
        raise RuntimeError("this rule is broken on purpose")
    return True
