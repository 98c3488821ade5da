"""The one configuration model, `ConsentConfig` (`configfile` loads it from kwargs, TOML and the
environment).

Every check runs when the model is built, so a bad configuration fails at start-up with one line per
problem naming the key, never at the first request.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from consentkit.banner.settings import BannerConfig
from consentkit.chat.settings import ChatConfig
from consentkit.collect.settings import CollectionConfig
from consentkit.console_settings import ConsoleConfig
from consentkit.http import PROXY_HEADERS
from consentkit.owners import CookieOwners
from consentkit.policy import Rules, regime_rules
from consentkit.regions import RegionsConfig
from consentkit.report_settings import ReportsConfig
from consentkit.storage.urls import redact_url
from consentkit.strict import CategoryKey, Strict

MAX_CHOICE_DAYS = 395  # 13 months: the longest a choice may be remembered
LawfulBasis = Literal["consent", "legitimate_interest", "contract", "legal_obligation"]


class Category(Strict):
    key: CategoryKey
    """Short identifier used in the API, the cookie and the ledger (a-z, 0-9, _)."""
    title: str = Field(min_length=1, max_length=120)
    """Shown to visitors in the banner."""
    description: str = Field(default="", max_length=2000)
    """What the category is for, shown in the banner's second layer."""
    required: bool = False
    """Always in effect (strictly necessary); shown locked on."""
    lawful_basis: LawfulBasis = "consent"
    """GDPR art. 6 basis: consent, legitimate_interest, contract or legal_obligation."""
    retention_days: int = Field(default=395, ge=1, le=3650)
    """How long collected fields of this category are kept; `consentkit purge` enforces it."""
    cookies: tuple[str, ...] = ()
    """Cookie names or glob patterns (``_ga*``) this category owns."""
    sale_or_sharing: bool = False
    """Sells or shares personal data, or serves targeted advertising (US state laws): in an
    opt_out regime a Global Privacy Control signal opts the visitor out of it (docs/regions.md)."""


DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category(
        key="necessary",
        title="Strictly necessary",
        description="Needed for the site to work and to remember your privacy choice.",
        required=True,
        lawful_basis="legitimate_interest",
        cookies=("sessionid", "csrftoken", "session"),
    ),
    Category(
        key="preferences",
        title="Preferences",
        description="Remember settings such as language or region.",
        cookies=("lang", "theme"),
    ),
    Category(
        key="analytics",
        title="Analytics",
        description="Count visits and see how the site is used: pages, browser, device, approximate location.",
        retention_days=395,
        cookies=("_ga", "_ga_*", "_gid", "_pk_*", "_hj*"),
    ),
    Category(
        key="marketing",
        title="Marketing",
        description="Measure campaigns and show relevant ads on other sites.",
        retention_days=90,
        cookies=("_fbp", "_gcl_*", "IDE", "fr"),
        sale_or_sharing=True,
    ),
    Category(
        key="chat",
        title="Live chat",
        description="Offer a live-chat button; the chat service sets its own cookies.",
        retention_days=180,
        cookies=("__lc*", "crisp-client*", "twk_*", "TawkConnectionTime", "cw_conversation", "ZD-*"),
    ),
)


class CookieSettings(Strict):
    choice_name: str = Field(default="ck_consent", pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    """Name of the signed cookie holding the visitor's choice."""
    visitor_name: str = Field(default="ck_vid", pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    """Name of the persistent visitor-id cookie (set only while `ids_category` is in effect)."""
    session_name: str = Field(default="ck_sid", pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    """Name of the rolling session-id cookie."""
    domain: str | None = None
    """Cookie Domain attribute; unset means the exact host."""
    path: str = "/"
    """Cookie Path attribute."""
    secure: bool | Literal["auto"] = "auto"
    """"auto": Secure on https requests only."""
    samesite: Literal["lax", "strict", "none"] = "lax"
    """Cookie SameSite attribute."""
    choice_days: int = Field(default=182, ge=1)
    """How long a choice is remembered (at most 13 months)."""
    visitor_days: int = Field(default=395, ge=1)
    """Lifetime of the visitor-id cookie (at most 13 months; not extended on later visits)."""
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    """A visit ends after this long without a request."""

    @field_validator("choice_days", "visitor_days")
    @classmethod
    def _at_most_13_months(cls, v: int) -> int:
        if v > MAX_CHOICE_DAYS:
            raise ValueError(f"{v} days is more than 13 months ({MAX_CHOICE_DAYS} days)")
        return v


class SignalRules(Strict):
    dnt_denies: tuple[str, ...] | None = None
    """Categories `DNT: 1` denies; None means every non-required category."""
    gpc_denies: tuple[str, ...] | None = None
    """Categories `Sec-GPC: 1` denies; None means every non-required category."""
    explicit_optin_overrides: bool = False
    """Let an opt-in given while the signal was present stand (CCPA lets a visitor confirm it)."""
    gpc_last_update: dt.date = dt.date(2026, 1, 1)
    """`lastUpdate` reported by /.well-known/gpc.json."""


class ConsentConfig(BaseSettings):
    """Everything consentkit needs to know about one site."""

    model_config = SettingsConfigDict(
        env_prefix="CONSENTKIT_", env_nested_delimiter="__", extra="forbid", frozen=True,
        use_attribute_docstrings=True,
    )

    secret_keys: Annotated[tuple[SecretStr, ...], NoDecode] = Field(min_length=1)
    """The first key signs, all verify: add a new key in front to rotate."""
    policy_version: str = Field(default="1", pattern=r"^[A-Za-z0-9._\-]{1,32}$")
    """Bump it when the policy changes: every earlier choice then counts as no choice."""
    site_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._:\-]{1,128}$")
    """This site's own name (its host name, say), bound into every signature: another site with the
    same `secret_keys` and `policy_version` does not honour its cookies. Unset: choice cookies are
    signed as before this setting existed, and `consentkit check` warns. Setting or changing it asks
    every visitor to choose again."""
    categories: tuple[Category, ...] = DEFAULT_CATEGORIES
    """The consent categories, in banner order."""
    default_granted: tuple[str, ...] = ()
    """Categories in effect for a visitor who has not chosen (besides the required ones)."""
    cookies: CookieSettings = CookieSettings()
    """consentkit's own cookies."""
    signals: SignalRules = SignalRules()
    """How Do-Not-Track and Global Privacy Control are honoured."""
    prefix: str = Field(default="/_consent", pattern=r"^/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~\-]$")
    """URL prefix of consentkit's own endpoints."""
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    """Networks of the proxies in front of the site: only from a socket peer in one of them is the
    `proxy_headers` header believed. Empty: the socket peer is the visitor. With uvicorn or gunicorn
    in front, see docs/security.md."""
    proxy_headers: tuple[str, ...] = ("x-forwarded-for",)
    """The one header a trusted proxy puts the visitor's address in: "x-forwarded-for", "forwarded"
    (RFC 7239), or an edge header ("cf-connecting-ip", "true-client-ip", "x-real-ip",
    "fastly-client-ip", "fly-client-ip"); `[]` believes none. Others are never read."""
    allowed_origins: tuple[str, ...] = ()
    """Extra origins (scheme://host[:port]) allowed to post choices, besides the site itself."""
    undeclared_cookies: Literal["allow", "block", "report"] = "report"
    """What happens to a Set-Cookie no category declares: let through, remove, or let through and count."""
    ids_category: str = "analytics"
    """The category that owns the visitor-id and session-id cookies."""
    storage_url: str = "sqlite:///consentkit.db"
    """sqlite:///PATH (embedded default) or postgresql://... for several app servers."""
    max_body_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    """Larger bodies sent to consentkit's endpoints are refused with 413."""
    collection: CollectionConfig = CollectionConfig()
    """What is recorded about visitors, and how."""
    banner: BannerConfig = BannerConfig()
    """The consent banner: texts, languages, layout, look."""
    chat: ChatConfig = ChatConfig()
    reports: ReportsConfig = ReportsConfig()
    """Reports for privacy teams (`consentkit report`): the small-number rule, and mail."""
    regions: RegionsConfig | None = None
    """Regional consent regimes (opt_in, opt_out, notice) by the visitor's location; `{}` takes the
    shipped mapping (docs/regions.md). Unset: every visitor is under the opt-in rules above."""
    console: ConsoleConfig = ConsoleConfig()
    """The review console (`consentkit console`, docs/console.md): users, roles, allowed networks."""

    @field_validator("secret_keys", mode="before")
    @classmethod
    def _split_keys(cls, v: Any) -> Any:
        if isinstance(v, str):
            if v.lstrip().startswith("["):
                try:
                    return tuple(json.loads(v))
                except (ValueError, TypeError):
                    raise ValueError("not a JSON list of keys") from None
            return tuple(k.strip() for k in v.split(",") if k.strip())
        return v

    @field_validator("secret_keys")
    @classmethod
    def _long_keys(cls, v: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        for i, key in enumerate(v):
            if len(key.get_secret_value().encode()) < 32:
                raise ValueError(
                    f"key #{i + 1} is shorter than 32 bytes; "
                    "make one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
                )
        return v

    @field_validator("proxy_headers")
    @classmethod
    def _one_known_header(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        names = tuple(name.strip().lower() for name in v)
        for name in names:
            if name not in PROXY_HEADERS:
                raise ValueError(
                    f"unknown header {name!r}; name one of {', '.join(PROXY_HEADERS)} (the one your proxy sets)"
                )
        if len(names) > 1:
            raise ValueError(
                "name one header: with several, a visitor could send the one that is believed "
                "past a proxy that manages only the other"
            )
        return names

    @model_validator(mode="after")
    def _cross_checks(self) -> ConsentConfig:
        problems = list(_cross_problems(self))
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins so operators can override a committed file or code defaults.
        return (env_settings, init_settings)

    # Derived values, computed once.
    @cached_property
    def category_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.categories)

    @cached_property
    def required(self) -> frozenset[str]:
        return frozenset(c.key for c in self.categories if c.required)

    @cached_property
    def optional(self) -> frozenset[str]:
        return frozenset(c.key for c in self.categories if not c.required)

    @cached_property
    def dnt_denies(self) -> frozenset[str]:
        rule = self.signals.dnt_denies
        return self.optional if rule is None else frozenset(rule) - self.required

    @cached_property
    def gpc_denies(self) -> frozenset[str]:
        rule = self.signals.gpc_denies
        return self.optional if rule is None else frozenset(rule) - self.required

    @cached_property
    def rules(self) -> Rules:
        """The site's own consent rules (opt-in; a regional regime derives its own from them)."""
        return Rules(
            required=self.required, default=frozenset(self.default_granted), dnt_denies=self.dnt_denies,
            gpc_denies=self.gpc_denies, explicit_optin_overrides=self.signals.explicit_optin_overrides,
        )

    @cached_property
    def regime_rules(self) -> dict[str, Rules]:
        """Each regional regime's rules by its name, derived from the site's (`policy.regime_rules`);
        empty without `regions`."""
        regions = self.regions
        if regions is None:
            return {}
        sale = frozenset(c.key for c in self.categories if c.sale_or_sharing and not c.required)
        out = {}
        for regime in (*regions.regimes, regions.fallback):
            default = None if regime.default_granted is None else frozenset(regime.default_granted)
            out[regime.name] = regime_rules(self.rules, regime.name, regime.mode, self.optional, default, sale)
        return out

    @cached_property
    def proxy_header(self) -> str | None:
        """The forwarding header believed from a trusted proxy, if any."""
        return self.proxy_headers[0] if self.proxy_headers else None

    @cached_property
    def signing_keys(self) -> list[str]:
        return [k.get_secret_value() for k in self.secret_keys]

    def category(self, key: str) -> Category | None:
        for c in self.categories:
            if c.key == key:
                return c
        return None

    def redacted(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["secret_keys"] = [f"<redacted, {len(k.get_secret_value())} chars>" for k in self.secret_keys]
        data["storage_url"] = redact_url(self.storage_url)
        for user in data["console"]["users"].values():  # a hash can be attacked offline: never printed
            user["password_hash"] = "<redacted>"
        return data


def _cross_problems(cfg: ConsentConfig) -> list[str]:
    keys = [c.key for c in cfg.categories]
    known = set(keys)
    problems: list[str] = []
    for dup in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"categories: duplicate key {dup!r}")
    if not cfg.categories:
        problems.append("categories: at least one category is needed")

    def refs(where: str, values: tuple[str, ...] | None) -> None:
        for v in values or ():
            if v not in known:
                problems.append(f"{where}: unknown category {v!r} (known: {', '.join(keys)})")

    refs("default_granted", cfg.default_granted)
    refs("signals.dnt_denies", cfg.signals.dnt_denies)
    refs("signals.gpc_denies", cfg.signals.gpc_denies)
    refs("ids_category", (cfg.ids_category,))
    by_category: dict[str, list[str]] = {}  # one line per unknown category, naming its field groups
    for group, owner in cfg.collection.fields.items():
        by_category.setdefault(owner, []).append(str(group))
    for owner, groups in by_category.items():
        if owner not in known:
            problems.append(f"collection.fields: unknown category {owner!r} for the field group(s) "
                            f"{', '.join(groups)} (known: {', '.join(keys)})")
    if cfg.chat.enabled and cfg.chat.provider is not None:  # a site without chat needs no chat category
        refs("chat.category", (cfg.chat.category,))
    declared = CookieOwners((c.key, c.cookies) for c in cfg.categories)
    for name in (cfg.cookies.choice_name, cfg.cookies.visitor_name, cfg.cookies.session_name):
        claimed = declared.owner(name)
        if claimed is not None:
            problems.append(f"cookies: {name!r} is consentkit's own cookie but category {claimed!r} declares it")
    for origin in cfg.allowed_origins:
        if not re.fullmatch(r"https?://[^/\s]+", origin):
            problems.append(f"allowed_origins: {origin!r} is not of the form scheme://host[:port]")
    if not re.fullmatch(r"(sqlite:///.+|sqlite://:memory:|postgres(ql)?://.+)", cfg.storage_url):
        problems.append("storage_url: expected sqlite:///PATH, sqlite://:memory: or postgresql://...")
    problems += cfg.banner.cross_problems(cfg.category_keys)
    if cfg.cookies.samesite == "none" and cfg.cookies.secure is False:
        problems.append("cookies.samesite: 'none' requires cookies.secure to be true or 'auto'")
    if cfg.regions is not None:
        problems += cfg.regions.problems(frozenset(keys))
        if cfg.regions.edge is not None and not cfg.trusted_proxies:
            problems.append(f"regions.edge: {cfg.regions.edge}'s headers are believed only from trusted_proxies; "
                            "list the edge's networks there")
    return list(dict.fromkeys(problems))  # each distinct problem once
