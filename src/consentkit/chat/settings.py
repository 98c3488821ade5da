"""Configuration of the chat button: provider, placement, rules and pre-chat data.

Every check runs when the configuration is built: a provider id that does not look like one, or a
template that could break the page or run an inline handler, fails at start-up naming its key.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from consentkit.chat import providers
from consentkit.strict import CategoryKey, Strict

Provider = Literal["generic", "livechat", "tawkto", "crisp", "chatwoot", "zendesk"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DeviceClass = Literal["desktop", "mobile", "tablet", "other"]
PrechatField = Literal[
    "pages", "page_views", "seconds_on_site", "returning", "language", "country", "device", "browser", "ip"
]
CountryCode = Annotated[
    str, BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v), Field(pattern=r"^[A-Z]{2}$")
]
LanguageCode = Annotated[
    str, BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v), Field(pattern=r"^[a-z]{2,3}$")
]
PathGlob = Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[/*?\[]")]


class BusinessHours(Strict):
    timezone: str = "UTC"
    """IANA time zone the hours are in, e.g. "Europe/Berlin"."""
    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    """Days the chat is staffed."""
    open: dt.time = dt.time(9, 0)
    """Opening time, local to `timezone`."""
    close: dt.time = dt.time(17, 0)
    """Closing time (exclusive); earlier than `open` means the hours run past midnight."""
    holidays: tuple[dt.date, ...] = ()
    """Dates (in `timezone`) on which the chat is closed all day."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{v[:60]!r} is not an IANA time zone such as 'Europe/Berlin' or 'UTC'") from None
        return v

    @model_validator(mode="after")
    def _some_hours(self) -> BusinessHours:
        if self.open == self.close:
            raise ValueError("hours.open and hours.close are equal: the chat would never be open")
        if not self.days:
            raise ValueError("hours.days is empty: the chat would never be open")
        return self


class ChatRulesConfig(Strict):
    combine: Literal["all", "any"] = "all"
    """"all": show only if every configured rule says show; "any": show if one does."""
    when_unknown: Literal["hide", "show"] = "hide"
    """What a rule says when the visitor data it needs is not in effect (or not known)."""
    include_paths: tuple[PathGlob, ...] = ()
    """Page globs the chat may appear on (`*` crosses `/`); empty: every page."""
    exclude_paths: tuple[PathGlob, ...] = ()
    """Page globs the chat never appears on, whatever the other rules say; they are not counted into
    the visit nor listed in the pre-chat data."""
    min_page_views: int = Field(default=0, ge=0, le=10_000)
    """Page views in this visit, this page included (needs the session id's category)."""
    min_seconds_on_site: int = Field(default=0, ge=0, le=86_400)
    """Seconds since the first page of this visit (needs the session id's category)."""
    returning_only: bool = False
    """Only visitors whose visitor cookie existed before this visit (needs the visitor id's category)."""
    countries: tuple[CountryCode, ...] = ()
    """ISO 3166 alpha-2 codes (needs the geo field group and a GeoIP database)."""
    languages: tuple[LanguageCode, ...] = ()
    """Primary language subtags from Accept-Language, e.g. "de" (needs the language field group)."""
    devices: tuple[DeviceClass, ...] = ()
    """Device classes from the User-Agent (needs the device field group)."""
    regimes: tuple[CategoryKey, ...] = ()
    """Regional regimes (`regions.regimes[].name`, or the fallback's) whose visitors may get the chat."""
    never_for_bots: bool = True
    """Never for a user agent known as a bot (when the device field group is in effect)."""
    hours: BusinessHours | None = None
    """Business hours; None: any time."""
    hook_timeout_ms: int = Field(default=0, ge=0, le=60_000)
    """0: Python rules run inline, unbounded. Otherwise each runs on a worker thread and one that has
    not answered within this many milliseconds hides the chat (logged). Waiting on another thread
    costs tens of µs per hook call, so set it when hooks may block (database, network)."""


class ChatConfig(Strict):
    enabled: bool = True
    """Master switch; the chat deploys only when a `provider` is set as well."""
    category: str = "chat"
    """The consent category the chat service belongs to."""
    provider: Provider | None = None
    """A preset ("livechat", "tawkto", "crisp", "chatwoot", "zendesk") or "generic" with `template`."""
    site_id: str = Field(default="", max_length=200, validate_default=True)
    """The account id: LiveChat licence number, tawk.to property id, Crisp website id, Chatwoot website
    token, Zendesk key; for "generic", the value of `{site_id}` in the template."""
    widget_id: str = Field(default="default", max_length=64, validate_default=True)
    """tawk.to widget id (the last part of the direct chat link); `{widget_id}` for "generic"."""
    base_url: str = Field(default="https://app.chatwoot.com", max_length=200, validate_default=True)
    """Chatwoot installation URL (https); `{base_url}` for "generic"."""
    template: str = Field(default="", max_length=providers.MAX_TEMPLATE, validate_default=True)
    """HTML snippet of the "generic" provider. Placeholders: {site_id}, {widget_id}, {base_url},
    {nonce}, {prefix}; literal braces as {{ and }}. Values are HTML-escaped."""
    inject: bool = True
    """Let the middleware insert the chat before `</body>` of HTML pages; False: the app places
    `chat_html(...)` itself."""
    placeholder: bool = True
    """When the rules say show but the category is not in effect, offer a placeholder that grants it."""
    placeholder_text: str = Field(
        default="Chat with us — this loads the chat service, which sets cookies.", min_length=1, max_length=500
    )
    """Left as it is, shown in the visitor's language (the banner's locales translate it); your own
    text is shown as written."""
    placeholder_button: str = Field(default="Allow and open chat", min_length=1, max_length=100)
    """Translated as `placeholder_text` is."""
    placeholder_style: Literal["floating", "none"] = "floating"
    """"floating": chat.js positions the placeholder in the bottom corner at the end of the reading
    direction, or in the banner's dock when the banner is on the page; "none": style `.ck-chat-ph`
    yourself."""
    rules: ChatRulesConfig = ChatRulesConfig()
    prechat_fields: tuple[PrechatField, ...] = ("pages", "language", "country", "returning")
    """Visitor context passed to the widget; each only when its field group's category is in effect."""
    max_html_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    """Larger HTML bodies pass through without the chat."""
    session_cache_size: int = Field(default=10_000, ge=0, le=10_000_000)
    """Visits remembered in memory (per process) for the page-view and time rules."""
    clicks_per_minute: int = Field(default=10, ge=1, le=10_000)
    """Rate limit of counted placeholder clicks per visitor id the site issued (or per client network
    without one, as for `collection.beacon_per_minute`)."""

    @property
    def active(self) -> bool:
        return self.enabled and self.provider is not None

    @field_validator("site_id")
    @classmethod
    def _site_id(cls, v: str, info: ValidationInfo) -> str:
        return providers.check_site_id(info.data.get("provider"), v)

    @field_validator("widget_id")
    @classmethod
    def _widget_id(cls, v: str) -> str:
        return providers.check_widget_id(v)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str) -> str:
        return providers.check_base_url(v)

    @field_validator("template")
    @classmethod
    def _template(cls, v: str, info: ValidationInfo) -> str:
        provider = info.data.get("provider")
        if provider == "generic" and not v.strip():
            raise ValueError('the "generic" provider needs a template (the HTML snippet of your chat service)')
        if v and provider not in ("generic", None):
            raise ValueError(f"a template is only used with provider 'generic', not {provider!r}")
        return providers.check_template(v) if v else v

    def provider_params(self) -> dict[str, Any]:
        """The ids a widget loader needs, for chat.js and the single-page-app endpoint."""
        return providers.params(self.provider, self.site_id, self.widget_id, self.base_url)
