"""The per-request records every part of the core shares: what the Cookie header decides, and one
request/response as consentkit sees it. A leaf: it imports nothing that imports it back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from consentkit.consent import Choice, ConsentState
from consentkit.http import CookiePlan, CookieSpec, RequestView
from consentkit.policy import Effective

if TYPE_CHECKING:
    from consentkit.chat.outcome import ChatDecision


class CookieDecision:
    """What one Cookie header decides (with the request's DNT/GPC signals).

    A returning visitor sends the same Cookie header on every request, so this is remembered,
    bounded, until the choice in it expires; the Set-Cookie headers it implies are rendered once.
    """

    __slots__ = (
        "basis", "choice", "cookies", "effective", "expire", "groups", "plan", "rendered", "sid", "until", "vid",
    )

    def __init__(
        self, until: float, choice: Choice | None, effective: Effective, groups: frozenset[str], vid: str | None,
        sid: str, expire: tuple[str, ...],
    ) -> None:
        self.until = until
        self.choice = choice
        self.effective = effective
        self.groups = groups
        """The field groups in effect (`GroupsInEffect`)."""
        self.vid = vid
        """The visitor id from the cookie; "" when one must be made; None when ids are not in effect."""
        self.sid = sid
        """The session id from the cookie, or "" when there is none (or it is malformed)."""
        self.expire = expire
        """Cookies the request carries whose category is not in effect: they are expired."""
        self.cookies: tuple[CookieSpec, ...] | None = None
        """What it makes consentkit set (`Engine.added_cookies`): the expiries, then the session
        cookie when it is known; made on first use."""
        self.plan: CookiePlan | None = None
        """The `CookiePlan` of a response served from it that sets no cookie of its own and
        consentkit adds `cookies` to (`Engine.cookie_plan`); made on first use."""
        self.rendered: dict[bool, list[tuple[str, str]]] = {}
        """Per https flag: `cookies` as Set-Cookie headers (`Engine.set_cookie_headers`)."""
        self.basis: tuple[str, dict[str, Any], dict[str, Any]] | None = None
        """Collection's constant fields of this visitor's events (`Enricher.constant`): the Host and
        the user-agent and address fields they were made for, and those merged with the basis."""


@dataclass(slots=True)
class Exchange:
    """One request/response as consentkit sees it. The fields `Engine.begin` fills come first, in
    the order it passes them."""

    request: RequestView
    state: ConsentState
    """What the app sees (`scope["consentkit"]`, `environ["consentkit"]`, `request.consent`)."""
    effective: Effective
    """What the policy decided for this request: the core reads this, never the app's view."""
    started: float
    decision: CookieDecision | None = None
    """The cached decision this request was served from."""
    groups: frozenset[str] = frozenset()
    """Field groups whose category is in effect (`GroupsInEffect`): what collection and chat may use;
    empty when nothing per visitor may be kept (a DNT/GPC signal)."""
    own: bool = False
    """A request for consentkit's own endpoints (`Engine.is_own_path`): the middlewares answer it."""
    located: str = ""
    """Where the regional regime's location came from ("edge", "geoip", "none"); "" without `regions`.
    A page located by GeoIP is marked private for shared caches (`regioncache`)."""
    visitor_id: str | None = None
    session_id: str | None = None
    new_visitor: bool = False
    chat: ChatDecision | None = None
    """The chat's decision for this page, once made (`Chat.decide`)."""
    chat_placed: bool = False
    """Set when the app placed the chat itself (`chat_html`): nothing is inserted then."""
