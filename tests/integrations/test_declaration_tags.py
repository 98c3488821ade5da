"""The cookie declaration in the adapters' templates: Django's {% cookie_declaration %} and Flask's
cookie_declaration(), in the banner's languages, with lifetimes seen by the site's store."""

from __future__ import annotations

import time
from pathlib import Path

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        SECRET_KEY="consentkit-tests-" + "d" * 40, ALLOWED_HOSTS=["testserver"], INSTALLED_APPS=["consentkit_django"],
        MIDDLEWARE=[], DATABASES={}, USE_TZ=True,
    )
    django.setup()

from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.test import Client, override_settings
from django.urls import path
from flask import Flask, render_template_string

from consentkit.review.declaration import observed_lifetimes
from consentkit.storage import open_store
from consentkit_django import conf
from consentkit_flask import ConsentKit, get_engine

SECRET = "k" * 40
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "OPTIONS": {}}]


def seen(url: str) -> None:
    store = open_store(url)
    store.add_counts({(time.strftime("%Y-%m-%d", time.gmtime()), "cookie.lifetime", "_gid|172800"): 1})
    store.close()


def test_django_tag_renders_the_declaration_in_the_pages_language(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ck.db'}"
    seen(url)
    request = HttpRequest()
    request.LANGUAGE_CODE = "de"  # type: ignore[attr-defined]
    with override_settings(TEMPLATES=TEMPLATES, CONSENTKIT={"secret_keys": [SECRET], "storage_url": url}):
        try:
            page = Template("{% load consentkit %}{% cookie_declaration %}").render(Context({"request": request}))
            french = Template('{% load consentkit %}{% cookie_declaration "fr" %}').render(Context({}))
        finally:
            conf.reset()
    assert page.startswith('<section class="ck-declaration" lang="de"') and "<td>2 Tage</td>" in page
    assert "Cookies et données collectées" in french


def test_flask_global_renders_the_declaration_in_the_visitors_language(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ck.db'}"
    seen(url)
    app = Flask(__name__)
    app.config["CONSENTKIT"] = {"secret_keys": [SECRET], "storage_url": url}

    @app.get("/privacy")
    def privacy() -> str:
        return render_template_string("<main>{{ cookie_declaration() }}</main>")

    @app.get("/privacy/it")
    def privacy_it() -> str:
        return render_template_string("<main>{{ cookie_declaration('it') }}</main>")

    ConsentKit(app)
    try:
        client = app.test_client()
        spanish = client.get("/privacy", headers={"Accept-Language": "es-ES,es;q=0.9"}).get_data(as_text=True)
        italian = client.get("/privacy/it").get_data(as_text=True)
    finally:
        get_engine(app).close()
    assert '<main><section class="ck-declaration" lang="es"' in spanish and "<td>2 días</td>" in spanish
    assert "Cookie e dati raccolti" in italian


def set_cookies(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("<html><body>cookies</body></html>")
    response.set_cookie("_ga", "1", max_age=63072000)
    response.set_cookie("_tracker", "1", max_age=60)
    response.set_cookie("_fbp", "1", max_age=7776000)  # marketing: not granted, removed
    response.delete_cookie("_gid")  # a deletion: no lifetime
    return response


urlpatterns = [path("set", set_cookies)]


def test_django_counts_the_lifetimes_of_the_cookies_it_lets_through(tmp_path: Path) -> None:
    ck = {"secret_keys": [SECRET], "storage_url": f"sqlite:///{tmp_path / 'ck.db'}", "default_granted": ["analytics"]}
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=["consentkit_django.middleware.ConsentMiddleware"],
                           CONSENTKIT=ck):
        try:
            assert Client().get("/set").status_code == 200
            engine = conf.get_engine()
            engine.writer.flush()
            seen = observed_lifetimes(engine.store)
        finally:
            conf.reset()
    assert seen == {"_ga": 63072000, "_tracker": 60}
