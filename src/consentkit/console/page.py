"""What a console page is: the request it gets, the result it returns and the least role it needs.

The console's shell (the Starlette app, or the Django admin) authenticates the user, checks the role
and the CSRF token, and builds a `PageRequest`; a page only reads the store and renders HTML. One
page module serves both shells, so the role rule and the markup are written once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from consentkit.config import ConsentConfig
from consentkit.storage.base import Store

Role = Literal["viewer", "reviewer", "officer"]
ROLES: tuple[Role, ...] = ("viewer", "reviewer", "officer")


def allows(have: Role, need: Role) -> bool:
    """A role allows everything a lower role does: viewer < reviewer < officer."""
    return ROLES.index(have) >= ROLES.index(need)


@dataclass(frozen=True)
class User:
    """Who is looking, as the shell authenticated them."""

    name: str
    role: Role
    address: str  # the client address the shell believed (after trusted proxies)


class AccessLog(Protocol):
    """Where a page records what its user saw or did about a data subject (append-only, chained)."""

    def record(
        self, user: User, action: str, *, subject: str = "", detail: Mapping[str, str] | None = None
    ) -> None: ...


@dataclass(frozen=True)
class Download:
    """A file the browser saves: an export of a filtered view or of a subject."""

    filename: str  # ASCII token characters only; the shell puts it in Content-Disposition
    content_type: str
    chunks: Iterable[bytes]


@dataclass(frozen=True)
class PageRequest:
    config: ConsentConfig
    store: Store
    user: User
    method: Literal["GET", "POST"]
    query: Mapping[str, str]  # bounded, decoded query parameters (the last value of each name)
    form: Mapping[str, str]  # a POST's decoded form fields; CSRF was already checked by the shell
    lang: str  # one of the banner's languages
    base: str  # URL path the console is mounted under, without a trailing slash ("" at the root)
    csrf_field: str  # hidden field name every form must carry ("csrf", or Django's name)
    csrf_token: str
    access: AccessLog
    now: float  # unix seconds


@dataclass(frozen=True)
class PageResult:
    title: str
    body: str = ""  # the page's main content as safe HTML; the shell wraps it in the layout
    status: int = 200
    redirect: str = ""  # after a successful POST: a path below `base` to see (POST-redirect-GET)
    download: Download | None = None
    notices: tuple[str, ...] = field(default=())  # plain text shown above the body


@dataclass(frozen=True)
class Page:
    path: str  # below `base`, e.g. "/overview"
    name: str  # key of the page's title in the console's texts, and its nav entry
    role: Role  # least role that may GET it
    render: Callable[[PageRequest], PageResult]
    post_role: Role | None = None  # least role that may POST to it (its actions); None: GET only
