"""The demo: a small site with consentkit in front, a fresh SQLite database, no configuration.

``consentkit demo`` serves the built-in Starlette site, which ships in the package; its server comes
with the ``demo`` extra. ``--framework fastapi|flask|django`` serves the matching example site from
``examples/`` of a source checkout instead: FastAPI under uvicorn, Flask and Django under the
standard library's WSGI server (threaded). Ctrl-C or SIGTERM stops it cleanly, also when it was
started in the background (where the shell ignores SIGINT): the background writer is flushed and the
command exits with status 0.
"""

from __future__ import annotations

import errno
import html
import importlib
import importlib.util
import os
import secrets
import signal
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
DEMO_EXTRA = "pip install 'consentkit[demo]'"
PAGES = {"starlette": "/, /pricing", "fastapi": "/, /teas, /privacy, /docs", "flask": "/, /teas, /privacy",
         "django": "/, /teas, /privacy"}


class DemoError(Exception):
    """Why the demo cannot start; printed as is."""


def demo_config(storage_url: str) -> dict[str, Any]:
    return {"secret_keys": [secrets.token_urlsafe(32)], "storage_url": storage_url}


# The banner saves a choice without reloading the page: the page shows what holds from then on.
FOLLOW_CHOICES = """
document.addEventListener("consentkit:change", function (event) {
  var effective = event.detail.effective;
  document.getElementById("effective").textContent = effective.slice().sort().join(", ");
  document.querySelectorAll("[data-when-consent]").forEach(function (el) {
    el.hidden = effective.indexOf(el.getAttribute("data-when-consent")) < 0;
  });
  document.querySelectorAll("[data-unless-consent]").forEach(function (el) {
    el.hidden = effective.indexOf(el.getAttribute("data-unless-consent")) >= 0;
  });
});
"""


def starlette_app(storage_url: str) -> Any:
    """The built-in site, part of the installed package (it needs only the `demo` extra)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    from consentkit.asgi import ConsentMiddleware
    from consentkit.banner.render import assets_html, banner_html
    from consentkit.config import ConsentConfig

    config = ConsentConfig(**demo_config(storage_url))

    def page(request: Request, title: str, body: str) -> HTMLResponse:
        state = request.scope["consentkit"]
        assets = assets_html(config)
        banner = banner_html(config, state, accept_language=request.headers.get("accept-language", ""),
                             next_url=request.url.path)
        allowed = ", ".join(sorted(state.effective))
        measured = state.allows("analytics")
        return HTMLResponse(
            f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>{assets}"
            f"</head><body><h1>{html.escape(title)}</h1>{body}"
            f'<p>Categories in effect: <span id="effective">{html.escape(allowed)}</span></p>'
            f'<p data-when-consent="analytics"{"" if measured else " hidden"}>Thanks for letting us measure'
            f' your visit.</p><p data-unless-consent="analytics"{" hidden" if measured else ""}>We do not measure'
            " your visit.</p>"
            f"<nav><a href=/>Home</a> · <a href=/pricing>Pricing</a> · <a href=/_consent/state>State</a></nav>"
            f"{banner}<script>{FOLLOW_CHOICES}</script></body></html>"
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
    try:
        _check_installed(framework)
        _check_port(host, port)
        seeded = 0
        if storage_url is None:
            storage_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='consentkit-demo-')) / 'demo.db'}"
            seeded = _seed(storage_url, framework)
        # The environment wins over any configuration, so this also holds for the example sites.
        os.environ["CONSENTKIT_STORAGE_URL"] = storage_url
        console = _Console(storage_url) if framework in ("starlette", "fastapi") else None
        serve = _server(framework, storage_url, host, console)
    except DemoError as exc:
        print(f"consentkit demo: {exc}", file=sys.stderr)
        return 1
    base = f"http://{host}:{port}"
    print(f"consentkit demo ({framework}) on {base}/")
    print(f"  pages:           {PAGES.get(framework, '/')}")
    print(f"  consent state:   {base}/_consent/state")
    print(f"  GPC support:     {base}/.well-known/gpc.json")
    print(f"  storage:         {storage_url}" + (f" (a month of made-up traffic: {seeded:,} page views stored)"
                                                   if seeded else ""))
    if console is not None:
        print(f"  review console:  {base}{CONSOLE_PATH}/  (log in as {console.user}, password {console.password}; "
              "an officer)")
    else:
        print(f"  review console:  not mounted on the {framework} demo (--framework starlette or fastapi)")
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
CONSOLE_PATH = "/console"
SEED_PATHS = {"starlette": ("/", "/pricing"), "fastapi": ("/", "/teas", "/privacy"),
              "flask": ("/", "/teas", "/privacy"), "django": ("/", "/teas", "/privacy")}


def _seed(storage_url: str, framework: str) -> int:
    """A month of traffic in the fresh database, so the console has something to show."""
    import time

    from consentkit.config import ConsentConfig
    from consentkit.demo_traffic import seed_month
    from consentkit.storage import open_store

    store = open_store(storage_url)
    try:
        return seed_month(store, ConsentConfig(**demo_config(storage_url)), SEED_PATHS[framework], now=time.time())
    finally:
        store.close()


class _Console:
    """The review console at CONSOLE_PATH beside the site, with a login made for this run."""

    def __init__(self, storage_url: str) -> None:
        from consentkit.config import ConsentConfig
        from consentkit.console import app
        from consentkit.console.users import hash_password
        from consentkit.console_settings import ConsoleConfig, ConsoleUser

        self.user, self.password = "demo", secrets.token_urlsafe(12)
        officer = ConsoleUser(role="officer", password_hash=hash_password(self.password))
        self.app = app(ConsentConfig(**demo_config(storage_url), console=ConsoleConfig(users={self.user: officer})))

    def route(self, site: Any) -> Any:
        """`site`, with requests below CONSOLE_PATH going to the console (the lifespan stays the site's)."""
        console = self.app

        async def dispatch(scope: Any, receive: Any, send: Any) -> None:
            path = scope.get("path", "")
            if scope["type"] == "http" and (path == CONSOLE_PATH or path.startswith(CONSOLE_PATH + "/")):
                await console({**scope, "root_path": scope.get("root_path", "") + CONSOLE_PATH}, receive, send)
            else:
                await site(scope, receive, send)

        return dispatch


def _check_installed(framework: str) -> None:
    """Everything the chosen site needs is there; otherwise say what to install or where to run it."""
    if framework not in ("starlette", *ADAPTERS):
        raise DemoError(f"unknown framework {framework!r}; choose starlette, fastapi, flask or django")
    needed = ["starlette", "uvicorn"] if framework in ("starlette", "fastapi") else []
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        names = " and ".join(missing)
        raise DemoError(f"the demo's server needs {names}, which come with the demo extra: {DEMO_EXTRA}")
    if framework == "starlette":
        return
    module, package, folder = ADAPTERS[framework]
    if importlib.util.find_spec(module) is None:
        raise DemoError(f"the {framework} demo needs {package}: pip install {package}")
    if not (EXAMPLES / folder).is_dir():
        raise DemoError(
            f"--framework {framework} serves examples/{folder}/ of a consentkit source checkout, and this "
            f"installation has none ({EXAMPLES} is missing). Run it from a checkout: ./scripts/demo --framework "
            f"{framework}; or run the built-in demo, which needs no checkout: {_command()} demo"
        )


def _check_port(host: str, port: int) -> None:
    """Refuse a port another server holds, before anything is started or printed as running."""
    problem = _bind_problem(host, port)
    if problem is None:
        return
    if problem.errno != errno.EADDRINUSE:
        raise DemoError(f"cannot listen on {host}:{port}: {problem.strerror or problem}")
    free = next((p for p in range(port + 1, min(port + 50, 65536)) if _bind_problem(host, p) is None), None)
    hint = f": --port {free} is free" if free is not None else ""
    raise DemoError(f"port {port} on {host} is already in use (another server, or a demo still running); "
                    f"choose another with --port{hint}")


def _bind_problem(host: str, port: int) -> OSError | None:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            # as the servers set it: a port whose last connections are in TIME_WAIT is free
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:  # socket.gaierror included
        return exc
    return None


def _server(framework: str, storage_url: str, host: str, console: _Console | None = None) -> Serve:
    if framework == "starlette":
        return _uvicorn(starlette_app(storage_url), None, console)
    module, _, folder = ADAPTERS[framework]
    try:
        importlib.import_module(module)
    except ImportError as exc:  # the adapter is there but its framework is not; its message says what to install
        raise DemoError(str(exc)) from None
    site = EXAMPLES / folder
    if framework == "fastapi":
        app = _load(site / "app.py", "consentkit_demo_fastapi_app")
        return _uvicorn(app.app, app.engine.close, console)
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


def _uvicorn(app: Any, close: Callable[[], None] | None, console: _Console | None = None) -> Serve:
    if console is not None:
        app = console.route(app)

    def serve(host: str, port: int) -> int:
        import uvicorn

        try:
            # uvicorn shuts down on SIGINT/SIGTERM (the lifespan flushes the writer), then raises the
            # signal again for the handler it found, which ends the run below with a clean status.
            with _stopping_on_signals():
                uvicorn.run(app, host=host, port=port, log_level="warning")
        except KeyboardInterrupt:
            pass
        finally:
            if close is not None:
                close()
            if console is not None:
                console.app.close()
        return 0

    return serve


@contextmanager
def _stopping_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt while serving. Set explicitly for both: a shell starts
    a background job with SIGINT ignored, and Python then installs no handler of its own for it."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


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

        try:
            with _stopping_on_signals():
                httpd.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            httpd.server_close()
            close()  # flushes the background writer
        return 0

    return serve


def _command() -> str:
    """How to call this same `consentkit` again (the full path when it is not on PATH)."""
    import shutil

    invoked = sys.argv[0] if sys.argv and sys.argv[0].endswith("consentkit") else "consentkit"
    return "consentkit" if shutil.which("consentkit") == invoked else invoked

