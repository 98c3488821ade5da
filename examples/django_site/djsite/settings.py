"""Settings of the example shop: consentkit in front, no configuration needed to run it."""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Development secrets: taken from the environment, or generated at start. They are put into the
# environment so that runserver's auto-reloader (a child process) keeps the same ones; a restart
# makes new ones, and visitors' consent choices are then asked for again.
SECRET_KEY = os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
CONSENTKIT_SECRET = os.environ.setdefault("CONSENTKIT_SECRET_KEYS", secrets.token_urlsafe(32))

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")

INSTALLED_APPS = ["consentkit_django"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before every middleware that sets cookies, so that it sees (and controls) all of them.
    "consentkit_django.middleware.ConsentMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"

ROOT_URLCONF = "djsite.urls"
WSGI_APPLICATION = "djsite.wsgi.application"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "templates"],
    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
USE_TZ = True

CONSENTKIT = {
    "secret_keys": [CONSENTKIT_SECRET],  # CONSENTKIT_* environment variables win over this dict
    "storage_url": f"sqlite:///{BASE_DIR / 'consentkit.db'}",
    "banner": {"privacy_url": "/privacy"},
    # Live chat with a stand-in widget (examples/shared/chat-widget.js): the button shows once
    # "chat" is allowed, a consent placeholder before that; never on the privacy page.
    "chat": {"provider": "generic", "site_id": "leaf-kettle", "rules": {"exclude_paths": ["/privacy"]},
             "template": '<script src="/chat-widget.js" nonce="{nonce}" async></script>'},
}
