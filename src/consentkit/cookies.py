"""The site's cookie owner rule, and the Set-Cookie headers consentkit writes."""

from __future__ import annotations

from dataclasses import dataclass

from consentkit.config import ConsentConfig
from consentkit.owners import ALWAYS, CookieOwners


def cookie_owners(config: ConsentConfig) -> CookieOwners:
    """The site's owner rule: its categories' declarations, and consentkit's own cookies (the
    choice cookie always allowed, the id cookies owned by `ids_category`) over any of them."""
    c = config.cookies
    return CookieOwners(
        ((cat.key, cat.cookies) for cat in config.categories),
        own={c.choice_name: ALWAYS, c.visitor_name: config.ids_category, c.session_name: config.ids_category},
    )


@dataclass(frozen=True, slots=True)
class CookieFlags:
    path: str
    domain: str | None
    samesite: str
    secure: bool | None
    """None: decided per request ("auto" — Secure on https)."""

    def render(self, name: str, value: str, max_age: int, https: bool, http_only: bool = True) -> str:
        parts = [f"{name}={value}", f"Max-Age={max_age}", f"Path={self.path}"]
        if self.domain:
            parts.append(f"Domain={self.domain}")
        if self.secure or (self.secure is None and https) or self.samesite == "none":
            parts.append("Secure")
        if http_only:
            parts.append("HttpOnly")
        parts.append(f"SameSite={self.samesite.capitalize()}")
        return "; ".join(parts)

    def expire(self, name: str, https: bool) -> str:
        return self.render(name, "", 0, https) + "; Expires=Thu, 01 Jan 1970 00:00:00 GMT"


def cookie_flags(config: ConsentConfig) -> CookieFlags:
    c = config.cookies
    return CookieFlags(c.path, c.domain, c.samesite, None if c.secure == "auto" else bool(c.secure))
