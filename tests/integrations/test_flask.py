"""consentkit_flask through Flask's own test client and CLI runner, plus one run under gunicorn."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from flask import Flask, g, jsonify, make_response, render_template_string, request

from consentkit import ConfigError
from consentkit.ledger import verify
from consentkit.review.queries import events as stored_events
from consentkit.storage import open_store
from consentkit_flask import ConsentKit, get_engine
from servers import BIN, stop
from site_checks import check_consent_round_trip, has_banner

SECRET = "k" * 40
ORIGIN = {"Origin": "http://localhost"}
PAGE = """<!doctype html><html><head>{{ consent_assets() }}</head><body>{{ consent_banner() }}
<main>{{ title }}</main>
{% if consent.allows("analytics") %}<p id=yes>analytics on</p>{% else %}<p id=no>analytics off</p>{% endif %}
</body></html>"""


def make_app(tmp_path: Path, **overrides: Any) -> Flask:
    app = Flask(__name__)
    ck: dict[str, Any] = {"secret_keys": [SECRET], "storage_url": f"sqlite:///{tmp_path / 'ck.db'}"}
    ck.update(overrides)
    app.config["CONSENTKIT"] = ck

    @app.get("/")
    def page() -> str:
        return render_template_string(PAGE, title=request.args.get("title", "Home"))

    @app.get("/whoami")
    def whoami() -> Any:
        state = g.consent
        return jsonify(effective=sorted(state.effective), choice_made=state.choice_made,
                       consent_id=state.consent_id, analytics=state.allows("analytics"))

    @app.get("/set")
    def set_cookies() -> Any:
        response = make_response("<p>cookies</p>")
        for name in request.args.get("names", "").split(","):
            if name:
                response.set_cookie(name, "1")
        return response

    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path)
    ConsentKit(app)
    yield app
    get_engine(app).close()



def cookie_names(response: Any) -> set[str]:
    return {h.split("=", 1)[0] for h in response.headers.getlist("Set-Cookie")}


def choose(client: Any, body: dict[str, Any]) -> Any:
    return client.post("/_consent", json=body, headers=ORIGIN)


def test_g_consent_for_a_new_visitor(app: Flask) -> None:
    client = app.test_client()
    r = client.get("/whoami")
    assert r.json == {"effective": ["necessary"], "choice_made": False, "consent_id": None, "analytics": False}
    assert cookie_names(r) == set() and "Cookie" in r.headers["Vary"]


def test_consent_post_sets_cookie_and_a_later_request_sees_it(app: Flask) -> None:
    client = app.test_client()
    r = choose(client, {"action": "accept_all"})
    assert r.status_code == 200 and r.json is not None and r.json["choice_made"] is True
    assert client.get_cookie("ck_consent") is not None
    who = client.get("/whoami")
    assert who.json is not None and who.json["analytics"] is True and who.json["consent_id"] == r.json["consent_id"]
    assert {"ck_vid", "ck_sid"} <= cookie_names(who)
    engine = get_engine(app)
    assert len(list(engine.store.ledger())) == 1 and verify(engine.store.ledger()).ok


def test_state_endpoint_and_413(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/_consent/state").json["choice_made"] is False  # type: ignore[index]
    big = client.post("/_consent", data=b'{"grant": []}' + b" " * 20_000,
                      headers={**ORIGIN, "Content-Type": "application/json"})
    assert big.status_code == 413 and "larger than" in big.json["error"]  # type: ignore[index]


def test_cookie_of_a_category_not_granted_is_stripped(app: Flask) -> None:
    client = app.test_client()
    choose(client, {"grant": ["preferences"]})
    r = client.get("/set?names=_ga,lang")
    assert "lang" in cookie_names(r) and "_ga" not in cookie_names(r)
    assert client.get_cookie("_ga") is None


def test_banner_consent_global_and_escaping(tmp_path: Path) -> None:
    app = make_app(tmp_path, banner={"texts": {"en": {"title": "<b>Hi & bye</b>"}}})
    ConsentKit(app)
    client = app.test_client()
    html = client.get("/", query_string={"title": "<script>x</script>", "q": '"><img src=x>'}).text
    assert has_banner(html) and "/_consent/banner.js" in html
    assert "&lt;b&gt;Hi &amp; bye&lt;/b&gt;" in html and "<script>x</script>" not in html and "<img src=x>" not in html
    assert "<p id=no>" in html
    choose(client, {"action": "accept_all"})
    assert "<p id=yes>analytics on</p>" in client.get("/").text
    get_engine(app).close()


def test_csp_nonce_from_the_request_is_used(app: Flask) -> None:
    @app.before_request
    def add_nonce() -> None:
        request.csp_nonce = "n0nce"  # type: ignore[attr-defined]  # what Flask-Talisman does

    html = app.test_client().get("/").text
    assert 'src="/_consent/banner.js' in html and 'nonce="n0nce"' in html


def test_application_factory(tmp_path: Path) -> None:
    consentkit = ConsentKit()
    app = make_app(tmp_path)
    engine = consentkit.init_app(app)
    assert get_engine(app) is engine and engine.writer.running
    assert app.test_client().get("/whoami").json["analytics"] is False  # type: ignore[index]
    with pytest.raises(RuntimeError, match="already"):
        consentkit.init_app(app)
    engine.close()


def test_config_file_relative_to_the_app(tmp_path: Path) -> None:
    (tmp_path / "consentkit.toml").write_text(
        f'secret_keys = ["{SECRET}"]\nstorage_url = "sqlite:///{tmp_path / "file.db"}"\npolicy_version = "7"\n'
    )
    app = Flask(__name__, root_path=str(tmp_path))
    app.config["CONSENTKIT_FILE"] = "consentkit.toml"
    engine = ConsentKit().init_app(app)
    assert engine.config.policy_version == "7" and engine.config.storage_url.endswith("file.db")
    engine.close()


def test_bad_config_raises_at_init_app_naming_the_key(tmp_path: Path) -> None:
    app = make_app(tmp_path, cookies={"choice_days": 999})
    with pytest.raises(ConfigError) as info:
        ConsentKit(app)
    assert any(p.startswith("cookies.choice_days") for p in info.value.problems)
    assert "consentkit" not in app.extensions


def test_missing_config_names_secret_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        ConsentKit(Flask(__name__))
    assert any(p.startswith("secret_keys") for p in info.value.problems)


def test_cli_check_and_ledger_verify(app: Flask) -> None:
    choose(app.test_client(), {"action": "accept_all"})
    runner = app.test_cli_runner()
    check = runner.invoke(args=["consentkit", "check"])
    assert check.exit_code == 0, check.output
    assert '"storage_url"' in check.output and SECRET not in check.output
    verified = runner.invoke(args=["consentkit", "ledger", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "ok" in verified.output.lower()


def test_cli_review_commands_use_the_apps_config(app: Flask, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no consentkit.toml here: only the app's config can answer
    client = app.test_client()
    consent_id = choose(client, {"action": "accept_all"}).json["consent_id"]  # type: ignore[index]
    # The page view is recorded when the server closes the response, as WSGI servers do after sending.
    client.get("/", headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}).close()
    get_engine(app).writer.flush()
    runner = app.test_cli_runner()
    events = runner.invoke(args=["consentkit", "events", "--format", "jsonl"])
    assert events.exit_code == 0, events.output
    assert consent_id in events.output
    purge = runner.invoke(args=["consentkit", "purge", "--dry-run"])
    assert purge.exit_code == 0, purge.output


APP_MODULE = """
    import os
    from flask import Flask, g, jsonify, make_response, render_template_string
    from consentkit_flask import ConsentKit

    app = Flask(__name__)
    app.config["CONSENTKIT"] = {"secret_keys": ["e2e-" + "k" * 40], "storage_url": os.environ["CK_STORAGE"]}
    ConsentKit(app)

    @app.get("/")
    def page():
        html = render_template_string(
            "<html><head>{{ consent_assets() }}</head><body>{{ consent_banner() }}"
            "{% if consent.allows('analytics') %}<p>measured</p>{% endif %}</body></html>")
        response = make_response(html)
        response.set_cookie("_ga", "GA1.1.1")
        return response

    @app.get("/whoami")
    def whoami():
        return jsonify(effective=sorted(g.consent.effective))
"""


@pytest.mark.server
def test_real_server_gunicorn(tmp_path: Path, server: Any) -> None:
    (tmp_path / "ckflaskapp.py").write_text(textwrap.dedent(APP_MODULE).lstrip())
    argv = [str(BIN / "gunicorn"), "-w", "1", "-b", "127.0.0.1:{port}", "ckflaskapp:app"]
    with server(argv, cwd=tmp_path, env={"CK_STORAGE": f"sqlite:///{tmp_path / 'e2e.db'}"}) as srv, \
            httpx.Client(base_url=srv.base) as client:
        check_consent_round_trip(client, srv.base)


FLUSH_MODULE = """
    import os
    from flask import Flask
    from consentkit_flask import ConsentKit

    app = Flask(__name__)
    app.config["CONSENTKIT"] = {
        "secret_keys": ["e2e-" + "k" * 40], "storage_url": os.environ["CK_STORAGE"],
        # Nothing is written before shutdown: a batch far larger than the test's pages, a long interval.
        "collection": {"batch_size": 10000, "flush_interval_ms": 600000},
    }
    ConsentKit(app)

    @app.get("/page/<int:n>")
    def page(n):
        return f"<html><body><p>page {n}</p></body></html>"
"""


@pytest.mark.server
def test_gunicorn_worker_stores_queued_page_views_when_stopped(tmp_path: Path, server: Any) -> None:
    """WSGI has no lifespan: the page views still queued when gunicorn stops its worker (SIGTERM)
    are written at interpreter exit."""
    (tmp_path / "ckflushapp.py").write_text(textwrap.dedent(FLUSH_MODULE).lstrip())
    url = f"sqlite:///{tmp_path / 'flush.db'}"
    argv = [str(BIN / "gunicorn"), "-w", "1", "-b", "127.0.0.1:{port}", "ckflushapp:app"]
    with server(argv, cwd=tmp_path, env={"CK_STORAGE": url}, ready="/page/0") as srv:
        with httpx.Client(base_url=srv.base) as client:
            assert client.post("/_consent", json={"action": "accept_all"},
                               headers={"origin": srv.base}).status_code == 200
            for n in range(1, 8):
                assert client.get(f"/page/{n}").status_code == 200
        store = open_store(url)
        try:  # still queued in the worker while it serves
            assert [e for e in stored_events(store) if e["kind"] == "pageview"] == []
        finally:
            store.close()
        assert stop(srv.proc) == 0, srv.output()
    store = open_store(url)
    try:
        paths = sorted(e["path"] for e in stored_events(store) if e["kind"] == "pageview")
        assert paths == [f"/page/{n}" for n in range(1, 8)], srv.output()
    finally:
        store.close()
