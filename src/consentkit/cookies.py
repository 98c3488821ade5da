"""The site's cookie owner rule, and the Set-Cookie headers consentkit writes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from consentkit.config import ConsentConfig
from consentkit.http import CookieSpec
from consentkit.owners import ALWAYS, CookieOwners

MAX_NAME = 256
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""RFC 6265 cookie-name: an RFC 9110 token."""
_OCTETS = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")
"""RFC 6265 cookie-value (unquoted): no control byte, space, quote, comma, semicolon or backslash."""


def cookie_owners(config: ConsentConfig) -> CookieOwners:
    """The site's owner rule: its categories' declarations, and consentkit's own cookies (the
    choice cookie always allowed, the id cookies owned by `ids_category`) over any of them."""
    c = config.cookies
    return CookieOwners(
        ((cat.key, cat.cookies) for cat in config.categories),
        own={c.choice_name: ALWAYS, c.visitor_name: config.ids_category, c.session_name: config.ids_category},
    )


def is_cookie_name(name: str) -> bool:
    """Whether `name` may be written into a Set-Cookie header: a token of at most MAX_NAME characters.
    Names in a request's Cookie header can be anything a client sends (control bytes included)."""
    return len(name) <= MAX_NAME and _TOKEN.fullmatch(name) is not None


@dataclass(frozen=True, slots=True)
class CookieFlags:
    path: str
    domain: str | None
    samesite: str
    secure: bool | None
    """None: decided per request ("auto" — Secure on https)."""

    def render(
        self, name: str, value: str, max_age: int, https: bool, http_only: bool = True, domain: str | None = None
    ) -> str:
        """One Set-Cookie value. Every header consentkit sets is made here, so this is where a name,
        value or domain that could break out of the header is refused (ValueError), whoever the caller.
        `domain`: as `CookieSpec.domain`."""
        if not is_cookie_name(name) or _OCTETS.fullmatch(value) is None:
            raise ValueError(f"not a cookie name and value for a Set-Cookie header: {name[:64]!r}")
        domain = self.domain if domain is None else domain
        if domain and _DOMAIN.fullmatch(domain) is None:
            raise ValueError(f"not a cookie domain: {domain[:64]!r}")
        parts = [f"{name}={value}", f"Max-Age={max_age}", f"Path={self.path}"]
        if domain:
            parts.append(f"Domain={domain}")
        if self.secure_for(https):
            parts.append("Secure")
        if http_only:
            parts.append("HttpOnly")
        parts.append(f"SameSite={self.samesite.capitalize()}")
        return "; ".join(parts)

    def expire(self, name: str, https: bool, domain: str | None = None) -> str:
        return self.render(name, "", 0, https, domain=domain) + "; Expires=Thu, 01 Jan 1970 00:00:00 GMT"

    def header(self, spec: CookieSpec, https: bool) -> str:
        """The Set-Cookie value of `spec`."""
        if spec.max_age == 0:
            return self.expire(spec.name, https, spec.domain)
        return self.render(spec.name, spec.value, spec.max_age, https, domain=spec.domain)

    def secure_for(self, https: bool) -> bool:
        return bool(self.secure or (self.secure is None and https) or self.samesite == "none")


_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]", re.ASCII)
"""A host name of two labels or more, ending in a letter label: never an address, never a port."""
MAX_PARENTS = 4


def domains_of(host: str) -> tuple[str, ...]:
    """The domains a script on `host` (a request's Host header: untrusted) may have set a cookie
    for: the host name and its parents of two labels or more, nearest first. None for an address
    or anything that is not a plain host name."""
    name = host.rpartition(":")[0] if host.count(":") == 1 else host
    name = name.lower().rstrip(".")
    if len(name) > 253 or _DOMAIN.fullmatch(name) is None:
        return ()
    labels = name.split(".")
    return tuple(".".join(labels[i:]) for i in range(len(labels) - 1))[:MAX_PARENTS]


def cookie_flags(config: ConsentConfig) -> CookieFlags:
    c = config.cookies
    return CookieFlags(c.path, c.domain, c.samesite, None if c.secure == "auto" else bool(c.secure))
