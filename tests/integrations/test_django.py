"""consentkit_django through Django's own test clients, plus one run under gunicorn and uvicorn.

Django's settings are process-wide: they are configured once (if nothing else did) with a bare
minimum, and every test sets what it relies on with `override_settings`.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import django
import httpx2 as httpx
import pytest
from django.conf import settings

from site_checks import check_consent_round_trip, has_banner

if not settings.configured:
    settings.configure(
        SECRET_KEY="consentkit-tests-" + "d" * 40,
        ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
        INSTALLED_APPS=["consentkit_django"],
        MIDDLEWARE=[],
        ROOT_URLCONF=__name__,
        DATABASES={},
        USE_TZ=True,
    )
    django.setup()

from asgiref.sync import iscoroutinefunction
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import Context, Template, TemplateSyntaxError
from django.test import AsyncClient, Client, override_settings
from django.urls import path

from consentkit.ledger import verify
from consentkit_django import conf
from consentkit_django.middleware import ConsentMiddleware
from servers import BIN

SECRET = "k" * 40
ORIGIN = {"origin": "http://testserver"}
PAGE = """{% load consentkit %}<!doctype html><html><head>{% consent_assets %}</head><body>
{% consent_banner %}<main>{{ title }}</main>
{% ifconsent "analytics" %}<p id=yes>analytics on</p>{% else %}<p id=no>analytics off</p>{% endifconsent %}
{% ifconsent category "marketing" %}<p id=both>both</p>{% endifconsent %}
</body></html>"""


def state_json(request: HttpRequest) -> JsonResponse:
    state = request.consent  # type: ignore[attr-defined]
    return JsonResponse({
        "effective": sorted(state.effective), "choice_made": state.choice_made,
        "consent_id": state.consent_id, "analytics": state.allows("analytics"),
    })


async def async_state(request: HttpRequest) -> JsonResponse:
    return state_json(request)


def page(request: HttpRequest) -> HttpResponse:
    return render(request, "page.html", {"title": request.GET.get("title", "Home"), "category": "analytics"})


def set_cookies(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("<p>cookies</p>")
    for name in request.GET.get("names", "").split(","):
        if name:
            response.set_cookie(name, "1")
    return response


def varied(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("<p>varied</p>")
    response["Vary"] = "Accept-Encoding, cookie"
    return response


urlpatterns = [
    path("", page),
    path("varied", varied),
    path("whoami", state_json),
    path("async-whoami", async_state),
    path("set", set_cookies),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "consentkit_django.middleware.ConsentMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "OPTIONS": {
        "context_processors": ["django.template.context_processors.request"],
        "loaders": [("django.template.loaders.locmem.Loader", {"page.html": PAGE})],
    },
}]


def site_settings(tmp_path: Path, **consentkit: Any) -> dict[str, Any]:
    ck: dict[str, Any] = {"secret_keys": [SECRET], "storage_url": f"sqlite:///{tmp_path / 'ck.db'}"}
    ck.update(consentkit)
    return {
        "ROOT_URLCONF": __name__,
        "INSTALLED_APPS": ["django.contrib.sessions", "consentkit_django"],
        "MIDDLEWARE": MIDDLEWARE,
        "TEMPLATES": TEMPLATES,
        "SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies",
        "CONSENTKIT": ck,
    }


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with override_settings(**site_settings(tmp_path)):
        yield settings.CONSENTKIT
        conf.reset()



def choose(client: Client, body: dict[str, Any]) -> Any:
    return client.post("/_consent", json.dumps(body), content_type="application/json", headers=ORIGIN)


# -- request.consent and the consent endpoints -----------------------------------------------------
def test_new_visitor_sees_only_required_categories(site: Any) -> None:
    client = Client()
    r = client.get("/whoami")
    assert r.json() == {"effective": ["necessary"], "choice_made": False, "consent_id": None, "analytics": False}
    assert "ck_vid" not in r.cookies and "ck_sid" not in r.cookies
    assert "Cookie" in r["Vary"]


def test_a_vary_header_the_view_sets_is_extended_not_replaced(site: Any) -> None:
    r = Client().get("/varied")
    assert [v.strip().lower() for v in r["Vary"].split(",")] == ["accept-encoding", "cookie", "sec-gpc", "dnt"]


def test_consent_post_sets_cookie_and_a_later_request_sees_it(site: Any) -> None:
    client = Client()
    r = choose(client, {"action": "accept_all"})
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    body = r.json()
    assert body["choice_made"] is True and "analytics" in body["effective"]
    morsel = r.cookies["ck_consent"]
    assert morsel["httponly"] and morsel["samesite"] == "Lax" and int(morsel["max-age"]) > 86400
    who = client.get("/whoami")
    assert who.json()["analytics"] is True and who.json()["consent_id"] == body["consent_id"]
    assert {"ck_vid", "ck_sid"} <= set(who.cookies)
    engine = conf.get_engine()
    (rec,) = list(engine.store.ledger())
    assert rec.consent_id == body["consent_id"] and verify(engine.store.ledger()).ok


def test_form_post_redirects_back_and_state_endpoint_answers(site: Any) -> None:
    client = Client()
    form = urlencode({"action": "reject_all", "next": "/whoami?x=1"})  # what the banner's <form> sends
    r = client.post("/_consent", form, content_type="application/x-www-form-urlencoded", headers=ORIGIN)
    assert r.status_code == 303 and r["Location"] == "/whoami?x=1"
    state = client.get("/_consent/state").json()
    assert state["choice_made"] is True and state["effective"] == ["necessary"]
    assert client.get("/.well-known/gpc.json").json()["gpc"] is True
    assert client.get("/_consent/nope").status_code == 404


def test_the_test_clients_default_multipart_post_is_a_form(site: Any) -> None:
    """What docs/django.md shows for testing a site: Client().post with a dict (multipart/form-data)."""
    client = Client(headers=ORIGIN)
    r = client.post("/_consent", {"action": "accept_all", "next": "/whoami"})
    assert r.status_code == 303 and r["Location"] == "/whoami"
    assert client.get("/whoami").json()["analytics"] is True
    chosen = client.post("/_consent", {"grant": ["analytics", "marketing"]}, headers=ORIGIN)
    assert chosen.status_code == 303
    assert client.get("/_consent/state").json()["effective"] == ["analytics", "marketing", "necessary"]


def test_cross_site_post_is_refused_without_csrf_token_needed_for_same_site(site: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    assert choose(client, {"action": "accept_all"}).status_code == 200  # answered before CsrfViewMiddleware
    evil = client.post("/_consent", "{}", content_type="application/json", headers={"origin": "https://evil.example"})
    assert evil.status_code == 403


def test_body_over_the_cap_is_413_json(site: Any) -> None:
    client = Client()
    big = json.dumps({"grant": ["analytics"], "lang": "x" * 20_000})
    r = client.post("/_consent", big, content_type="application/json", headers=ORIGIN)
    assert r.status_code == 413 and "larger than" in r.json()["error"]


def test_cookie_of_a_category_not_granted_is_stripped(site: Any) -> None:
    client = Client()
    choose(client, {"grant": ["preferences"]})
    r = client.get("/set?names=_ga,lang,sessionid_other")
    assert "lang" in r.cookies  # preferences granted
    assert "_ga" not in r.cookies  # analytics not granted: the app's Set-Cookie is removed
    assert "sessionid_other" in r.cookies  # undeclared cookies are reported, not blocked, by default


def test_withdrawal_expires_cookies_of_the_withdrawn_category(site: Any) -> None:
    client = Client()
    choose(client, {"action": "accept_all"})
    r = client.get("/set?names=_ga")
    assert r.cookies["_ga"].value == "1"
    withdrawn = choose(client, {"grant": ["marketing"]})
    assert withdrawn.status_code == 200
    for name in ("_ga", "ck_vid", "ck_sid"):
        assert withdrawn.cookies[name]["max-age"] == 0, name
    assert client.get("/whoami").json()["analytics"] is False


def test_engine_is_rebuilt_when_the_setting_changes(site: Any, tmp_path: Path) -> None:
    first = conf.get_engine()
    with override_settings(CONSENTKIT={**site, "policy_version": "2"}):
        second = conf.get_engine()
        assert second is not first and second.config.policy_version == "2"
    assert conf.get_engine() is not second


# -- async (ASGI) ------------------------------------------------------------------------------------
def test_async_client_sets_consent_and_middleware_runs_as_coroutine(site: Any) -> None:
    async def scenario() -> tuple[Any, Any, Any]:
        client = AsyncClient()
        before = await client.get("/async-whoami")
        chosen = await client.post(
            "/_consent", json.dumps({"action": "accept_all"}), content_type="application/json", headers=ORIGIN
        )
        after = await client.get("/async-whoami")
        return before, chosen, after

    before, chosen, after = asyncio.run(scenario())
    assert before.json()["analytics"] is False
    assert chosen.status_code == 200 and "ck_consent" in chosen.cookies
    assert after.json()["analytics"] is True

    async def inner(request: HttpRequest) -> HttpResponse:
        return HttpResponse("x")

    assert iscoroutinefunction(ConsentMiddleware(inner))
    assert not iscoroutinefunction(ConsentMiddleware(lambda request: HttpResponse("x")))


# -- templates ---------------------------------------------------------------------------------------
def test_banner_assets_and_ifconsent_render(site: Any) -> None:
    client = Client()
    html = client.get("/").content.decode()
    assert has_banner(html)
    assert "/_consent/banner.css" in html and "/_consent/banner.js" in html
    assert "<p id=no>analytics off</p>" in html and "<p id=yes>" not in html and "<p id=both>" not in html
    choose(client, {"action": "accept_all"})
    html = client.get("/").content.decode()
    assert "<p id=yes>analytics on</p>" in html and "<p id=both>both</p>" in html


def test_banner_escapes_configured_texts_and_the_path(tmp_path: Path) -> None:
    evil = '<script>alert("x")</script>'
    banner = {"texts": {"en": {"title": "<b>Hi & bye</b>"}}}
    with override_settings(**site_settings(tmp_path, banner=banner)):
        html = Client().get("/", {"title": evil, "q": '"><img src=x onerror=alert(1)>'}).content.decode()
        conf.reset()
    assert "&lt;b&gt;Hi &amp; bye&lt;/b&gt;" in html
    assert evil not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html


def test_nonce_from_context_is_used() -> None:
    request = HttpRequest()
    request.csp_nonce = "n0nce"  # type: ignore[attr-defined]
    with override_settings(TEMPLATES=TEMPLATES, CONSENTKIT={"secret_keys": [SECRET], "storage_url": "sqlite://:memory:"}):
        html = Template("{% load consentkit %}{% consent_assets %}").render(Context({"request": request}))
        ctx_html = Template("{% load consentkit %}{% consent_assets %}").render(Context({"csp_nonce": "ctx"}))
        conf.reset()
    assert 'nonce="n0nce"' in html and 'nonce="ctx"' in ctx_html


@pytest.mark.skipif(django.VERSION < (6, 0), reason="Django's own Content-Security-Policy arrived in 6.0")
def test_django_csp_nonce_reaches_the_banner(tmp_path: Path) -> None:
    from django.utils.csp import CSP

    templates = [{**TEMPLATES[0], "OPTIONS": {**TEMPLATES[0]["OPTIONS"], "context_processors": [
        "django.template.context_processors.request", "django.template.context_processors.csp"]}}]
    with override_settings(**{**site_settings(tmp_path), "TEMPLATES": templates,
                              "MIDDLEWARE": ["django.middleware.csp.ContentSecurityPolicyMiddleware", *MIDDLEWARE],
                              "SECURE_CSP": {"script-src": [CSP.SELF, CSP.NONCE]}}):
        r = Client().get("/")
        conf.reset()
    nonce = r["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'nonce="{nonce}"' in r.content.decode()


def test_chat_is_inserted_into_django_pages(tmp_path: Path) -> None:
    chat = {"provider": "generic", "template": '<div id="my-chat" data-site="{site_id}"></div>', "site_id": "s1"}
    with override_settings(**site_settings(tmp_path, chat=chat)):
        client = Client()
        first = client.get("/")
        html = first.content.decode()
        assert 'id="consentkit-chat-ph"' in html and html.index("consentkit-chat-ph") < html.rindex("</body>")
        choose(client, {"action": "accept_all"})
        shown = client.get("/").content.decode()
        assert '<div id="my-chat" data-site="s1"></div>' in shown and "consentkit-chat-ph" not in shown
        assert "consentkit-chat" not in client.get("/whoami").content.decode()  # JSON is left alone
        conf.reset()


def test_without_middleware_nothing_is_allowed_and_no_banner() -> None:
    src = '{% load consentkit %}[{% consent_banner %}]{% ifconsent "necessary" %}yes{% else %}no{% endifconsent %}'
    with override_settings(TEMPLATES=TEMPLATES, CONSENTKIT={"secret_keys": [SECRET], "storage_url": "sqlite://:memory:"}):
        tpl = Template(src)
        assert tpl.render(Context({"request": HttpRequest()})) == "[]no"
        conf.reset()


def test_ifconsent_needs_a_category() -> None:
    with override_settings(TEMPLATES=TEMPLATES), pytest.raises(TemplateSyntaxError, match="at least one category"):
        Template("{% load consentkit %}{% ifconsent %}x{% endifconsent %}")


# -- configuration errors: system checks and start-up -----------------------------------------------
def run_consentkit_checks() -> list[checks.CheckMessage]:
    return checks.run_checks(tags=["consentkit"])


def by_id(messages: list[checks.CheckMessage]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in messages:
        out.setdefault(str(m.id), []).append(str(m.msg))
    return out


def test_clean_configuration_has_no_check_messages(tmp_path: Path) -> None:
    with override_settings(**site_settings(tmp_path)):
        assert run_consentkit_checks() == []


def test_invalid_configuration_is_one_e001_per_problem_naming_the_key(tmp_path: Path) -> None:
    bad = {"secret_keys": ["short"], "cookies": {"choice_days": 999}, "default_granted": ["nope"]}
    with override_settings(**{**site_settings(tmp_path), "CONSENTKIT": bad}):
        found = by_id(run_consentkit_checks())
    problems = found["consentkit.E001"]
    assert any(p.startswith("secret_keys") for p in problems)
    assert any(p.startswith("cookies.choice_days") for p in problems)
    assert len(problems) >= 2


def test_missing_setting_names_secret_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no consentkit.toml to find
    with override_settings(**{**site_settings(tmp_path), "CONSENTKIT": None}):
        problems = by_id(run_consentkit_checks())["consentkit.E001"]
    assert any(p.startswith("secret_keys") for p in problems)


def test_wrong_type_of_setting_is_e001() -> None:
    with override_settings(CONSENTKIT=42):
        (problem,) = by_id(run_consentkit_checks())["consentkit.E001"]
    assert problem.startswith("CONSENTKIT: expected a dict")


def test_middleware_missing_is_e002(tmp_path: Path) -> None:
    with override_settings(**{**site_settings(tmp_path), "MIDDLEWARE": MIDDLEWARE[2:]}):
        assert list(by_id(run_consentkit_checks())) == ["consentkit.E002"]


def test_middleware_after_a_cookie_setter_is_e003(tmp_path: Path) -> None:
    wrong = [MIDDLEWARE[0], MIDDLEWARE[2], MIDDLEWARE[4], MIDDLEWARE[1]]
    with override_settings(**{**site_settings(tmp_path), "MIDDLEWARE": wrong}):
        found = by_id(run_consentkit_checks())
    assert list(found) == ["consentkit.E003"] and len(found["consentkit.E003"]) == 2
    assert "SessionMiddleware" in found["consentkit.E003"][0]


def test_django_cookie_in_optional_category_is_w001_and_relative_sqlite_is_w002(tmp_path: Path) -> None:
    cats = [{"key": "necessary", "title": "Necessary", "required": True, "cookies": ["csrftoken"]},
            {"key": "analytics", "title": "Analytics", "cookies": ["sessionid"]}, {"key": "chat", "title": "Chat"}]
    with override_settings(**site_settings(tmp_path, categories=cats, storage_url="sqlite:///ck.db")):
        found = by_id(run_consentkit_checks())
    assert list(found) == ["consentkit.W001", "consentkit.W002"]
    assert "'sessionid' (SESSION_COOKIE_NAME)" in found["consentkit.W001"][0]
    assert "'analytics'" in found["consentkit.W001"][0]


def test_the_checks_judge_an_overlapping_declaration_as_the_middleware_does(tmp_path: Path) -> None:
    """An earlier category's glob and a later one's exact name: the exact name owns the cookie, for
    the checks as for the cookie control the visitor meets."""
    cats = [{"key": "analytics", "title": "Analytics", "cookies": ["session*"]},
            {"key": "necessary", "title": "Necessary", "required": True, "cookies": ["sessionid", "csrftoken"]},
            {"key": "chat", "title": "Chat"}]
    with override_settings(**site_settings(tmp_path, categories=cats)):
        assert run_consentkit_checks() == []
        assert conf.get_engine().owners.owner("sessionid") == "necessary"
        conf.reset()


def test_bad_configuration_fails_when_middleware_loads(tmp_path: Path) -> None:
    bad = {"secret_keys": [SECRET], "prefix": "nope"}
    with override_settings(**{**site_settings(tmp_path), "CONSENTKIT": bad}), \
            pytest.raises(ImproperlyConfigured, match=r"prefix"):
        Client().get("/")


# -- management command ------------------------------------------------------------------------------
def test_management_command_check_and_ledger_verify(site: Any) -> None:
    out, err = StringIO(), StringIO()
    call_command("consentkit", "check", stdout=out, stderr=err)
    shown = json.loads(out.getvalue())
    assert shown["storage_url"] == site["storage_url"] and SECRET not in out.getvalue()
    assert "configuration OK" in err.getvalue()
    choose(Client(), {"action": "accept_all"})
    out = StringIO()
    call_command("consentkit", "ledger", "verify", stdout=out)
    assert "OK" in out.getvalue() or "ok" in out.getvalue().lower()


def test_management_command_review_commands_use_the_settings(site: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no consentkit.toml here: only settings.CONSENTKIT can answer
    client = Client(headers={"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"})
    consent_id = choose(client, {"action": "accept_all"}).json()["consent_id"]
    client.get("/")
    conf.get_engine().writer.flush()
    out = StringIO()
    call_command("consentkit", "events", "--format", "jsonl", stdout=out)
    (event,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert event["path"] == "/" and event["consent_id"] == consent_id
    out = StringIO()
    call_command("consentkit", "export", "--subject", consent_id, stdout=out, stderr=StringIO())
    assert json.loads(out.getvalue())["ledger"]
    out = StringIO()
    call_command("consentkit", "purge", "--dry-run", stdout=out)
    assert isinstance(json.loads(out.getvalue()), dict)


def test_management_command_reports_bad_configuration(tmp_path: Path) -> None:
    with override_settings(CONSENTKIT={"secret_keys": ["short"]}), pytest.raises(CommandError, match="secret_keys"):
        call_command("consentkit", "check")


# -- a real server: gunicorn (WSGI) and uvicorn (ASGI) ---------------------------------------------
PROJECT = {
    "ckproject/__init__.py": "",
    "ckproject/settings.py": """
        import os
        SECRET_KEY = "e2e-" + "s" * 40
        DEBUG = False
        ALLOWED_HOSTS = ["127.0.0.1"]
        INSTALLED_APPS = ["django.contrib.sessions", "consentkit_django"]
        MIDDLEWARE = [
            "django.middleware.security.SecurityMiddleware",
            "consentkit_django.middleware.ConsentMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ]
        SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
        ROOT_URLCONF = "ckproject.urls"
        TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "OPTIONS": {
            "context_processors": ["django.template.context_processors.request"],
            "loaders": [("django.template.loaders.locmem.Loader", {"page.html":
                "{% load consentkit %}<html><head>{% consent_assets %}</head><body>{% consent_banner %}"
                "{% ifconsent 'analytics' %}<p>measured</p>{% endifconsent %}</body></html>"})]}}]
        DATABASES = {}
        USE_TZ = True
        CONSENTKIT = {"secret_keys": ["e2e-" + "k" * 40], "storage_url": os.environ["CK_STORAGE"]}
    """,
    "ckproject/urls.py": """
        from django.http import HttpResponse, JsonResponse
        from django.shortcuts import render
        from django.urls import path

        def page(request):
            response = render(request, "page.html")
            response.set_cookie("_ga", "GA1.1.1")
            return response

        def whoami(request):
            return JsonResponse({"effective": sorted(request.consent.effective)})

        urlpatterns = [path("", page), path("whoami", whoami)]
    """,
    "ckproject/wsgi.py": """
        import os
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ckproject.settings")
        from django.core.wsgi import get_wsgi_application
        application = get_wsgi_application()
    """,
    "ckproject/asgi.py": """
        import os
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ckproject.settings")
        from django.core.asgi import get_asgi_application
        application = get_asgi_application()
    """,
}


def write_project(root: Path) -> None:
    for name, text in PROJECT.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip())


@pytest.mark.server
@pytest.mark.parametrize("kind", ["gunicorn", "uvicorn"])
def test_real_server(kind: str, tmp_path: Path, server: Any) -> None:
    write_project(tmp_path)
    db = tmp_path / "e2e.db"
    if kind == "gunicorn":
        argv = [str(BIN / "gunicorn"), "-w", "1", "-b", "127.0.0.1:{port}", "ckproject.wsgi:application"]
    else:
        argv = [str(BIN / "uvicorn"), "--port", "{port}", "--log-level", "warning", "ckproject.asgi:application"]
    with server(argv, cwd=tmp_path, env={"CK_STORAGE": f"sqlite:///{db}"}) as srv, \
            httpx.Client(base_url=srv.base) as client:
        check_consent_round_trip(client, srv.base)
        assert client.get("/_consent/state").json()["choice_made"] is True


def test_regional_regimes_through_django(tmp_path: Path) -> None:
    """The regime decides the banner's variant in the template tag; Vary names the edge's headers, and
    a page located by GeoIP is private (Django applies the core's plan with its own API)."""
    city = Path(__file__).resolve().parents[1] / "data" / "maxmind" / "GeoIP2-City-Test.mmdb"
    regional = site_settings(tmp_path, trusted_proxies=["127.0.0.0/8"], regions={"edge": "cloudflare"},
                             collection={"geoip_city_db": str(city)})
    with override_settings(**regional):
        client = Client()
        california = client.get("/", headers={"cf-ipcountry": "US", "cf-region-code": "CA"})
        assert 'data-mode="opt_out"' in california.content.decode() and "<p id=yes>" in california.content.decode()
        assert california["Vary"].split(", ")[-2:] == ["Cf-Ipcountry", "Cf-Region-Code"]
        assert not california.has_header("Cache-Control")
        germany = client.get("/", headers={"x-forwarded-for": "2a02:d180::1"})
        assert "data-mode" not in germany.content.decode() and "<p id=no>" in germany.content.decode()
        assert germany["Cache-Control"] == "private"
        conf.reset()
