"""Configuration of the reports `consentkit report` makes and mails."""

from __future__ import annotations

from pydantic import Field

from consentkit.strict import Strict


class ReportsConfig(Strict):
    smtp_url: str | None = Field(default=None, pattern=r"^smtps?://[^/@\s]+(:\d{1,5})?/?$")
    """Where `consentkit report --email` sends: smtp://HOST[:PORT] (STARTTLS, port 587 unless given)
    or smtps://HOST[:PORT] (TLS from the start, 465). The user name and password, when the server
    wants them, come from the environment: CONSENTKIT_SMTP_USERNAME and CONSENTKIT_SMTP_PASSWORD."""
    mail_from: str = Field(default="consentkit@localhost", pattern=r"^[^\s<>@]+@[^\s<>@]+$")
    """The From address of mailed reports."""
    min_visitors: int = Field(default=5, ge=1, le=1000)
    """The small-number rule: a report folds groups with fewer distinct visitors into "other"."""
