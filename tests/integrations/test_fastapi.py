"""consentkit_fastapi through FastAPI's own TestClient, plus one run under uvicorn."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from fastapi.testclient import TestClient

from consentkit import ConfigError
from consentkit.ledger import verify
from consentkit_fastapi import Consent, ConsentMiddleware, consent_banner, consent_context, get_engine, install
from consentkit_fastapi.openapi import ConsentStateOut
from servers import BIN
from site_checks import check_consent_round_trip, has_banner

SECRET = "k" * 40
ORIGIN = {"origin": "http://testserver"}


def config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return {"secret_keys": [SECRET], "storage_url": f"sqlite:///{tmp_path / 'ck.db'}", **overrides}


def routes(app: FastAPI) -> FastAPI:
    @app.get("/whoami")
    def whoami(consent: Consent) -> dict[str, Any]:
        return {"effective": sorted(consent.effective), "choice_made": consent.choice_made,
                "consent_id": consent.consent_id, "analytics": consent.allows("analytics")}

    @app.get("/set")
    def set_cookies(names: str = "") -> HTMLResponse:
        response = HTMLResponse("<p>cookies</p>")
        for name in names.split(","):
            if name:
                response.set_cookie(name, "1")
        return response

    @app.get("/page", response_class=HTMLResponse)
    def page(request: Request, title: str = "Home") -> str:
        from html import escape

        return f"<html><body>{consent_banner(request)}<main>{escape(title)}</main></body></html>"

    return app



def cookie_names(response: Any) -> set[str]:
    return {h.split("=", 1)[0] for h in response.headers.get_list("set-cookie")}


def choose(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post("/_consent", json=body, headers=ORIGIN)


def test_dependency_consent_and_consent_post(tmp_path: Path) -> None:
    app = routes(FastAPI())
    engine = install(app, config(tmp_path))
    with TestClient(app) as client:
        assert client.get("/whoami").json() == {
            "effective": ["necessary"], "choice_made": False, "consent_id": None, "analytics": False}
        chosen = choose(client, {"action": "accept_all"})
        assert chosen.status_code == 200 and "ck_consent" in client.cookies
        ConsentStateOut.model_validate(chosen.json())  # the documented schema is the real answer
        who = client.get("/whoami")
        assert who.json()["analytics"] is True and who.json()["consent_id"] == chosen.json()["consent_id"]
        assert {"ck_vid", "ck_sid"} <= cookie_names(who)
        state = client.get("/_consent/state").json()
        ConsentStateOut.model_validate(state)
    assert verify(engine.store.ledger()).ok
    with pytest.raises(RuntimeError, match="already installed"):
        install(app, config(tmp_path))
    engine.close()


def test_cookie_of_a_category_not_granted_is_stripped(tmp_path: Path) -> None:
    app = routes(FastAPI())
    engine = install(app, config(tmp_path))
    client = TestClient(app)
    choose(client, {"grant": ["preferences"]})
    r = client.get("/set", params={"names": "_ga,lang"})
    assert "lang" in cookie_names(r) and "_ga" not in cookie_names(r)
    engine.close()


def test_writer_runs_with_the_lifespan_next_to_the_apps_own(tmp_path: Path) -> None:
    seen: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        seen.append("start")
        yield
        seen.append("stop")

    app = routes(FastAPI(lifespan=lifespan))
    engine = install(app, config(tmp_path))
    with TestClient(app) as client:
        assert seen == ["start"]
        assert engine.writer.running
        client.get("/whoami")
    assert seen == ["start", "stop"]
    assert not engine.writer.running
    engine.close()


def test_openapi_documents_the_endpoints(tmp_path: Path) -> None:
    app = routes(FastAPI())
    engine = install(app, config(tmp_path))
    schema = TestClient(app).get("/openapi.json").json()
    paths = schema["paths"]
    documented = {"/_consent/state", "/_consent", "/_consent/beacon", "/_consent/pixel.gif", "/.well-known/gpc.json"}
    assert documented <= set(paths)
    post = paths["/_consent"]["post"]
    body_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    grant = schema["components"]["schemas"][body_ref]["properties"]["grant"]
    assert "analytics" in str(grant) and "necessary" not in str(grant)
    assert "application/x-www-form-urlencoded" in post["requestBody"]["content"]
    assert "image/gif" in paths["/_consent/pixel.gif"]["get"]["responses"]["200"]["content"]
    engine.close()

    bare = routes(FastAPI())
    engine = install(bare, config(tmp_path, collection={"enabled": False}), openapi=False)
    assert not [p for p in TestClient(bare).get("/openapi.json").json()["paths"] if "consent" in p]
    engine.close()


def test_add_middleware_works_and_finds_the_engine(tmp_path: Path) -> None:
    app = routes(FastAPI())
    app.add_middleware(ConsentMiddleware, config=config(tmp_path))
    with TestClient(app) as client:
        assert choose(client, {"action": "reject_all"}).status_code == 200
        html = client.get("/page", params={"title": "<script>x</script>"}).text
        assert has_banner(html) and "<script>x</script>" not in html
        assert client.get("/whoami").json()["choice_made"] is True
        get_engine(app).close()


def test_jinja_context_processor(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "<head>{{ consent_assets() }}</head><body>{{ consent_banner() }}"
        '{% if consent.allows("analytics") %}<p id=yes></p>{% else %}<p id=no></p>{% endif %}</body>'
    )
    templates = Jinja2Templates(directory=str(tmp_path), context_processors=[consent_context])
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Any:
        return templates.TemplateResponse(request, "page.html")

    engine = install(app, config(tmp_path, banner={"texts": {"en": {"title": "<b>Hi</b>"}}}))
    client = TestClient(app)
    html = client.get("/").text
    assert has_banner(html) and "/_consent/banner.css" in html and "<p id=no>" in html
    assert "&lt;b&gt;Hi&lt;/b&gt;" in html
    choose(client, {"action": "accept_all"})
    assert "<p id=yes>" in client.get("/").text
    engine.close()


def test_bad_config_raises_at_install_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        install(FastAPI(), config(tmp_path, prefix="no-slash"))
    assert any(p.startswith("prefix") for p in info.value.problems)


def test_bad_config_with_add_middleware_fails_at_start_up(tmp_path: Path) -> None:
    app = FastAPI()
    app.add_middleware(ConsentMiddleware, config={"secret_keys": ["short"]})
    with pytest.raises(ConfigError) as info, TestClient(app):
        pass
    assert any(p.startswith("secret_keys") for p in info.value.problems)


def test_dependency_without_middleware_says_so() -> None:
    app = routes(FastAPI())
    with pytest.raises(RuntimeError, match="install"):
        TestClient(app).get("/whoami")


APP_MODULE = """
    import os
    from fastapi import FastAPI, Request
    from fastapi.responses import HTMLResponse
    from consentkit_fastapi import Consent, consent_assets, consent_banner, install

    app = FastAPI()
    install(app, {"secret_keys": ["e2e-" + "k" * 40], "storage_url": os.environ["CK_STORAGE"]})

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request, consent: Consent):
        measured = "<p>measured</p>" if consent.allows("analytics") else ""
        response = HTMLResponse(
            f"<html><head>{consent_assets(request)}</head><body>{consent_banner(request)}{measured}</body></html>")
        response.set_cookie("_ga", "GA1.1.1")
        return response

    @app.get("/whoami")
    def whoami(consent: Consent):
        return {"effective": sorted(consent.effective)}
"""


@pytest.mark.server
def test_real_server_uvicorn(tmp_path: Path, server: Any) -> None:
    (tmp_path / "ckfastapiapp.py").write_text(textwrap.dedent(APP_MODULE).lstrip())
    argv = [str(BIN / "uvicorn"), "--port", "{port}", "--log-level", "warning", "ckfastapiapp:app"]
    with server(argv, cwd=tmp_path, env={"CK_STORAGE": f"sqlite:///{tmp_path / 'e2e.db'}"}) as srv, \
            httpx.Client(base_url=srv.base) as client:
        check_consent_round_trip(client, srv.base)
        assert client.get("/openapi.json").json()["paths"]["/_consent/state"]
