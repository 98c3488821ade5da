"""Configuration of the review console (`consentkit console`): who may log in, from where, for how long."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field

from consentkit.strict import Strict

ConsoleRole = Literal["viewer", "reviewer", "officer"]
"""viewer: aggregates only; reviewer: also the collection log, the ledger and the audit; officer: also
exports, erasure, purge and the access log (`consentkit.console.page.Role`, in the same order)."""
USER_NAME = r"^[A-Za-z0-9._@\-]{1,64}$"
PASSWORD_HASH = r"^scrypt\$\d{1,2}\$\d{1,2}\$\d{1,2}\$[A-Za-z0-9_\-]{16,64}\$[A-Za-z0-9_\-]{32,128}$"
"""What `consentkit console add-user` writes: scrypt$log2(n)$r$p$salt$hash (URL-safe base64)."""
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


class ConsoleUser(Strict):
    role: ConsoleRole
    """viewer, reviewer or officer."""
    password_hash: str = Field(pattern=PASSWORD_HASH)
    """Made by `consentkit console add-user NAME --role ROLE`; never the password itself."""


class ConsoleConfig(Strict):
    users: dict[Annotated[str, Field(pattern=USER_NAME)], ConsoleUser] = {}
    """Who may log in to the console: name → {role, password_hash}. Sites with a login of their own
    pass `authenticate=` to `consentkit.console.app` instead (docs/console.md)."""
    allow_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = LOOPBACK
    """Client networks the console answers at all (others get 403), the address taken after
    `trusted_proxies` as for visitors. Loopback only by default: open it to the office's networks."""
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    """A console login ends after this long without a request."""
    session_max_hours: int = Field(default=12, ge=1, le=7 * 24)
    """A console login ends this long after it began, however busy."""
    login_attempts: int = Field(default=5, ge=1, le=100)
    """Failed logins, per user name and per client address, before further attempts are refused."""
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    """How long a user name or an address is refused after `login_attempts` failures."""
    secure_cookies: bool | Literal["auto"] = "auto"
    """The login cookie's Secure flag; "auto": on https requests (as the server reports the scheme)."""
