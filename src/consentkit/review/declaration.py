"""The cookie declaration and records of processing (GDPR art. 30), from the configuration and
from what consentkit saw pass.

Per category: its purpose, lawful basis and retention; its cookies, each with its provider, first
or third party and lifetime; the data collected per field group; the recipients (the chat
provider). A lifetime is the longest one seen in a `Set-Cookie` header consentkit let through
(counted anonymously, `consentkit.cookielife`); consentkit's own cookies have their configured
lifetime. A cookie set only by a script, or by another site, is never seen by the server: its
lifetime then reads "not seen yet".
"""

from __future__ import annotations

import fnmatch
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from consentkit.banner.i18n import direction
from consentkit.banner.texts import category_text, pick_language
from consentkit.collect.settings import GROUP_COLUMNS
from consentkit.cookielife import METRIC, parse_key
from consentkit.owners import CookieOwners
from consentkit.review.audit_checks import UNDECLARED
from consentkit.review.counters import counter_totals
from consentkit.review.declaration_texts import declaration_texts
from consentkit.storage.base import Store

if TYPE_CHECKING:
    from consentkit.config import ConsentConfig

Party = Literal["first", "third", "unknown"]
LifetimeSource = Literal["observed", "configured", "not_seen"]

CHAT_PROVIDERS = {"livechat": "LiveChat", "tawkto": "tawk.to", "crisp": "Crisp", "chatwoot": "Chatwoot",
                  "zendesk": "Zendesk"}
"""Names of the chat presets as a declaration shows them ("generic": the site's own service)."""

KNOWN_COOKIES: tuple[tuple[str, str, Party], ...] = (
    ("_ga", "Google Analytics", "first"), ("_ga_*", "Google Analytics", "first"),
    ("_gid", "Google Analytics", "first"), ("_gcl_*", "Google Ads", "first"),
    ("IDE", "Google (doubleclick.net)", "third"),
    ("_fbp", "Meta", "first"), ("fr", "Meta (facebook.com)", "third"), ("_pk_*", "Matomo", "first"),
    ("_hj*", "Hotjar", "first"), ("__lc*", "LiveChat", "first"), ("crisp-client*", "Crisp", "first"),
    ("twk_*", "tawk.to", "first"), ("TawkConnectionTime", "tawk.to", "first"), ("cw_conversation", "Chatwoot", "first"),
    ("ZD-*", "Zendesk", "first"),
)
"""Providers of common cookie names (pattern, provider, party), for cookies the server never sees
set; any other cookie is the site's own when seen, of unknown provider otherwise."""


@dataclass(frozen=True, slots=True)
class DeclaredCookie:
    name: str
    """The name or glob pattern (``_ga_*``) the configuration declares."""
    provider: str
    """"" for this website itself."""
    party: Party
    lifetime_s: int | None
    """Seconds; None for a cookie that ends with the browser session, or one not seen yet."""
    lifetime_source: LifetimeSource
    seen_as: tuple[str, ...] = ()
    """The names seen that the pattern matched."""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "provider": self.provider or None, "party": self.party,
                "lifetime_s": self.lifetime_s, "lifetime_source": self.lifetime_source, "seen_as": list(self.seen_as)}


@dataclass(frozen=True, slots=True)
class DataGroup:
    group: str
    label: str
    columns: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"group": self.group, "label": self.label, "columns": list(self.columns)}


@dataclass(frozen=True, slots=True)
class DeclaredCategory:
    key: str
    title: str
    purpose: str
    lawful_basis: str
    retention_days: int
    required: bool
    cookies: tuple[DeclaredCookie, ...]
    data: tuple[DataGroup, ...]
    recipients: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "purpose": self.purpose, "lawful_basis": self.lawful_basis,
                "retention_days": self.retention_days, "required": self.required,
                "cookies": [c.as_dict() for c in self.cookies], "data": [d.as_dict() for d in self.data],
                "recipients": list(self.recipients)}


@dataclass(frozen=True, slots=True)
class ObservedCookie:
    """A cookie seen set that no category declares."""

    name: str
    lifetime_s: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "lifetime_s": self.lifetime_s}


@dataclass(frozen=True, slots=True)
class Declaration:
    lang: str
    direction: str
    generated_at: float
    policy_version: str
    ip_mode: str
    categories: tuple[DeclaredCategory, ...]
    undeclared: tuple[ObservedCookie, ...]
    """Cookies seen set that no category declares (for the privacy team, not the public page)."""
    texts: dict[str, str]
    """The declaration's words in `lang`."""

    def as_dict(self) -> dict[str, Any]:
        from consentkit.review.queries import iso

        return {"lang": self.lang, "generated_at": iso(self.generated_at), "policy_version": self.policy_version,
                "ip_mode": self.ip_mode, "categories": [c.as_dict() for c in self.categories],
                "undeclared": [u.as_dict() for u in self.undeclared]}


def observed_lifetimes(store: Store) -> dict[str, int | None]:
    """Cookie name → the longest lifetime seen (None: only ever a session cookie), over the days kept."""
    longest: dict[str, int | None] = {}
    for row in counter_totals(store, metrics=[METRIC]):
        if row.metric != METRIC:
            continue
        parsed = parse_key(row.key)
        if parsed is None:
            continue
        name, life = parsed
        if name not in longest or (life is not None and (longest[name] or 0) < life):
            longest[name] = life
    return longest


def _undeclared_names(store: Store) -> set[str]:
    return {r.key for r in counter_totals(store, metrics=UNDECLARED)}


def declaration(config: ConsentConfig, store: Store | None = None, *, lang: str | None = None,
                accept_language: str = "", now: float | None = None) -> Declaration:
    """The declaration in `lang`, else the best `accept_language` match among the banner's
    languages, else its default language; with a `store`, cookie lifetimes are those seen, and
    undeclared cookies seen are listed."""
    picked = pick_language(config.banner, lang, accept_language)
    texts = declaration_texts(picked)
    seen = observed_lifetimes(store) if store is not None else {}
    owners = CookieOwners((c.key, c.cookies) for c in config.categories)
    own = _own_cookies(config)
    home = next((c.key for c in config.categories if c.required), config.categories[0].key)
    categories = []
    for cat in config.categories:
        title, purpose = category_text(config.banner, picked, cat)
        cookies = [c for owner, c in own if (owner or home) == cat.key]
        cookies += [_declared(pattern, cat.key, owners, seen, config) for pattern in cat.cookies]
        groups = tuple(DataGroup(str(g), texts.get(f"group.{g}", str(g)), GROUP_COLUMNS[str(g)])
                       for g, owner in config.collection.fields.items() if owner == cat.key)
        recipients: tuple[str, ...] = ()
        if config.chat.active and config.chat.category == cat.key and config.chat.provider is not None:
            recipients = (CHAT_PROVIDERS.get(config.chat.provider, "chat service"),)
        categories.append(DeclaredCategory(cat.key, title, purpose, cat.lawful_basis, cat.retention_days,
                                           cat.required, tuple(cookies), groups, recipients))
    own_names = {c.name for _, c in own}
    undeclared_names = (_undeclared_names(store) if store is not None else set()) | {
        n for n in seen if owners.owner(n) is None and n not in own_names}
    undeclared = tuple(ObservedCookie(n, seen.get(n)) for n in sorted(undeclared_names - own_names))
    return Declaration(picked, direction(picked), time.time() if now is None else now, config.policy_version,
                       config.collection.ip_mode, tuple(categories), undeclared, texts)


def _own_cookies(config: ConsentConfig) -> list[tuple[str, DeclaredCookie]]:
    """consentkit's cookies with their configured lifetimes: (category key or "" for the first
    required category, cookie)."""
    ck = config.cookies
    return [
        ("", DeclaredCookie(ck.choice_name, "", "first", ck.choice_days * 86400, "configured")),
        (config.ids_category, DeclaredCookie(ck.visitor_name, "", "first", ck.visitor_days * 86400, "configured")),
        (config.ids_category,
         DeclaredCookie(ck.session_name, "", "first", ck.session_idle_minutes * 60, "configured")),
    ]


def _declared(pattern: str, category: str, owners: CookieOwners, seen: dict[str, int | None],
              config: ConsentConfig) -> DeclaredCookie:
    matches = sorted(n for n in seen if fnmatch.fnmatchcase(n, pattern) and owners.owner(n) == category)
    provider, party = _known(pattern, config, category)
    if not matches:
        return DeclaredCookie(pattern, provider, party, None, "not_seen")
    lives = [seen[n] for n in matches]
    longest = max((life for life in lives if life is not None), default=None)
    # Seen in a response of this site: set by it, whoever's script asked for it.
    return DeclaredCookie(pattern, provider, "first", longest, "observed", tuple(matches))


def _known(pattern: str, config: ConsentConfig, category: str) -> tuple[str, Party]:
    for known, provider, party in KNOWN_COOKIES:
        if pattern == known:
            return provider, party
    if config.chat.active and config.chat.category == category and config.chat.provider in CHAT_PROVIDERS:
        return CHAT_PROVIDERS[config.chat.provider], "first"
    return "", "unknown"


def lifetime_text(texts: dict[str, str], seconds: int | None, source: LifetimeSource) -> str:
    if source == "not_seen":
        return texts["not_seen"]
    if seconds is None:
        return texts["session"]
    for unit, size in (("days", 86400), ("hours", 3600)):
        if seconds >= size:
            return texts[unit].format(n=round(seconds / size))
    return texts["minutes"].format(n=max(1, round(seconds / 60)))

