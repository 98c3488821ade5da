"""System checks: a bad ``CONSENTKIT`` setting or a misplaced middleware is reported by
``manage.py check`` (and before ``runserver``/``migrate``), each message naming the setting.

consentkit.E001  the configuration is invalid (one error per problem, starting with the key)
consentkit.E002  the middleware is not in MIDDLEWARE
consentkit.E003  the middleware comes after a middleware that sets cookies (it must wrap them)
consentkit.W001  a cookie Django itself sets would be removed for visitors who have not consented
consentkit.W002  storage_url is a relative SQLite path (it depends on the working directory)
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string

from consentkit.config import ConsentConfig
from consentkit.cookies import cookie_owners
from consentkit.errors import ConfigError
from consentkit.owners import ALWAYS
from consentkit_django.conf import SETTING, build_config, setting

MIDDLEWARE = "consentkit_django.middleware.ConsentMiddleware"
COOKIE_SETTERS = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
)
_OBJ = f"settings.{SETTING}"


@register("consentkit")
def check_config(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        cfg = build_config(setting())
    except ConfigError as exc:
        hint = f"Fix the key in settings.{SETTING} (or the CONSENTKIT_* environment variable that sets it)."
        return [Error(problem, hint=hint, obj=_OBJ, id="consentkit.E001") for problem in exc.problems]
    return _cookie_warnings(cfg) + _storage_warnings(cfg)


def _classes(paths: list[str]) -> list[type | None]:
    out: list[type | None] = []
    for path in paths:
        try:
            found = import_string(path)
        except ImportError:
            found = None  # Django's own checks report middleware that cannot be imported
        out.append(found if isinstance(found, type) else None)
    return out


def _is(cls: type | None, path: str) -> bool:
    if cls is None:
        return False
    try:
        return issubclass(cls, import_string(path))
    except ImportError:
        return False


@register("consentkit")
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    paths = [str(p) for p in getattr(settings, "MIDDLEWARE", None) or ()]
    classes = _classes(paths)
    at = next((i for i, cls in enumerate(classes) if _is(cls, MIDDLEWARE)), None)
    if at is None:
        return [Error(
            f"{MIDDLEWARE} is not in MIDDLEWARE",
            hint=f"Add '{MIDDLEWARE}' to MIDDLEWARE, before SessionMiddleware and CsrfViewMiddleware "
            "(right after SecurityMiddleware).",
            obj="settings.MIDDLEWARE",
            id="consentkit.E002",
        )]
    errors: list[CheckMessage] = []
    for i in range(at):
        setter = next((s for s in COOKIE_SETTERS if _is(classes[i], s)), None)
        if setter is not None:
            errors.append(Error(
                f"{MIDDLEWARE} comes after {paths[i]}, which sets cookies; consentkit cannot control "
                "cookies set by middleware listed before it",
                hint=f"Move '{MIDDLEWARE}' above '{paths[i]}' in MIDDLEWARE (right after SecurityMiddleware).",
                obj="settings.MIDDLEWARE",
                id="consentkit.E003",
            ))
    return errors


def _django_cookies() -> list[tuple[str, str]]:
    """(cookie name, the setting naming it) for the cookies the installed middleware sets."""
    paths = [str(p) for p in getattr(settings, "MIDDLEWARE", None) or ()]
    classes = _classes(paths)
    out: list[tuple[str, str]] = []
    if any(_is(c, COOKIE_SETTERS[0]) for c in classes):
        out.append((settings.SESSION_COOKIE_NAME, "SESSION_COOKIE_NAME"))
    if any(_is(c, COOKIE_SETTERS[1]) for c in classes) and not settings.CSRF_USE_SESSIONS:
        out.append((settings.CSRF_COOKIE_NAME, "CSRF_COOKIE_NAME"))
    if any(_is(c, COOKIE_SETTERS[2]) for c in classes):
        storage = str(getattr(settings, "MESSAGE_STORAGE", ""))
        if storage.endswith(("CookieStorage", "FallbackStorage")):
            out.append(("messages", "MESSAGE_STORAGE"))
    return out


def _cookie_warnings(cfg: ConsentConfig) -> list[CheckMessage]:
    out: list[CheckMessage] = []
    required = cfg.required
    owners = cookie_owners(cfg)  # the rule the middleware applies
    for name, source in _django_cookies():
        owner = owners.owner(name)
        if owner == ALWAYS:  # consentkit's own choice cookie: always passes
            continue
        if owner is None and cfg.undeclared_cookies == "block":
            why = "no category declares it and undeclared_cookies is 'block'"
        elif owner is not None and owner not in required:
            why = f"it belongs to the optional category {owner!r}"
        else:
            continue
        out.append(Warning(
            f"cookie {name!r} ({source}) would be removed for visitors who have not consented: {why}",
            hint=f"List {name!r} in the cookies of a required category (e.g. 'necessary') in settings.{SETTING}.",
            obj=_OBJ,
            id="consentkit.W001",
        ))
    return out


def _storage_warnings(cfg: ConsentConfig) -> list[CheckMessage]:
    url = cfg.storage_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        return [Warning(
            f"storage_url {url!r} is relative: the database file lands in whatever directory the server "
            "starts in",
            hint=f"Use an absolute path, e.g. f\"sqlite:///{{BASE_DIR / 'consentkit.db'}}\" in settings.{SETTING}.",
            obj=_OBJ,
            id="consentkit.W002",
        )]
    return []
