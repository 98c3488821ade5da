"""The demo: a small site with consentkit in front, a fresh SQLite database, no configuration.

``consentkit demo`` serves the built-in Starlette site. ``--framework fastapi|flask|django`` serves
the matching example site from ``examples/`` of a source checkout instead: FastAPI under uvicorn,
Flask and Django under the standard library's WSGI server (threaded). Ctrl-C stops it cleanly: the
background writer is flushed and the command exits with status 0.
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import os
import secrets
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from socketserver import ThreadingMixIn
from types import FrameType, ModuleType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ADAPTERS = {
    "fastapi": ("consentkit_fastapi", "consentkit-fastapi", "fastapi_app"),
    "flask": ("consentkit_flask", "consentkit-flask", "flask_app"),
    "django": ("consentkit_django", "consentkit-django", "django_site"),
}
PAGES = {"starlette": "/, /pricing", "fastapi": "/, /teas, /privacy, /docs", "flask": "/, /teas, /privacy",
         "django": "/, /teas, /privacy"}


class DemoError(Exception):
    """Why the demo cannot start; printed as is."""


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
    """Serve the demo until Ctrl-C (or SIGTERM); 0 on a clean stop, 1 if it cannot start."""
    if storage_url is None:
        tmp = Path(tempfile.mkdtemp(prefix="consentkit-demo-"))
        storage_url = f"sqlite:///{tmp / 'demo.db'}"
    # The environment wins over any configuration, so this also holds for the example sites.
    os.environ["CONSENTKIT_STORAGE_URL"] = storage_url
    try:
        serve = _server(framework, storage_url, host)
    except DemoError as exc:
        print(f"consentkit demo: {exc}", file=sys.stderr)
        return 1
    base = f"http://{host}:{port}"
    print(f"consentkit demo ({framework}) on {base}/")
    print(f"  pages:           {PAGES.get(framework, '/')}")
    print(f"  consent state:   {base}/_consent/state")
    print(f"  GPC support:     {base}/.well-known/gpc.json")
    print(f"  storage:         {storage_url}")
    cmd = _command()
    print(f"  collection log:  {cmd} events --format table --storage-url {storage_url}")
    print(f"  consent ledger:  {cmd} ledger verify --storage-url {storage_url}")
    print(f"  one visitor:     {cmd} export --subject <visitor or consent id> --storage-url {storage_url}")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        return serve(host, port)
    except DemoError as exc:
        print(f"consentkit demo: {exc}", file=sys.stderr)
        return 1


Serve = Callable[[str, int], int]


def _server(framework: str, storage_url: str, host: str) -> Serve:
    if framework == "starlette":
        return _uvicorn(starlette_app(storage_url), None)
    if framework not in ADAPTERS:
        raise DemoError(f"unknown framework {framework!r}; choose starlette, fastapi, flask or django")
    module, package, folder = ADAPTERS[framework]
    try:
        importlib.import_module(module)
    except ImportError:
        raise DemoError(f"the {framework} demo needs {package}: pip install {package}") from None
    site = EXAMPLES / folder
    if not site.is_dir():
        raise DemoError(f"the {framework} demo serves {folder}/ from the examples/ folder of a consentkit "
                        "source checkout, which is not there")
    if framework == "fastapi":
        app = _load(site / "app.py", "consentkit_demo_fastapi_app")
        return _uvicorn(app.app, app.engine.close)
    if framework == "flask":
        app = _load(site / "app.py", "consentkit_demo_flask_app")
        return _wsgi(app.app, importlib.import_module(module).get_engine(app.app).close)
    sys.path.insert(0, str(site))
    os.environ["DJANGO_SETTINGS_MODULE"] = "djsite.settings"
    if host not in ("127.0.0.1", "localhost", "::1"):
        os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "*")
    application = importlib.import_module("django.core.wsgi").get_wsgi_application()
    return _wsgi(application, importlib.import_module(f"{module}.conf").reset)


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DemoError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _uvicorn(app: Any, close: Callable[[], None] | None) -> Serve:
    def serve(host: str, port: int) -> int:
        import uvicorn

        try:
            # uvicorn shuts down on Ctrl-C (the lifespan flushes the writer), then re-raises the signal.
            uvicorn.run(app, host=host, port=port, log_level="warning")
        except KeyboardInterrupt:
            pass
        finally:
            if close is not None:
                close()
        return 0

    return serve


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _wsgi(app: Any, close: Callable[[], None]) -> Serve:
    def serve(host: str, port: int) -> int:
        try:
            httpd = make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
        except OSError as exc:
            close()
            raise DemoError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            httpd.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            httpd.server_close()
            close()  # flushes the background writer
        return 0

    return serve


def _command() -> str:
    """How to call this same `consentkit` again (the full path when it is not on PATH)."""
    import shutil

    invoked = sys.argv[0] if sys.argv and sys.argv[0].endswith("consentkit") else "consentkit"
    return "consentkit" if shutil.which("consentkit") == invoked else invoked

