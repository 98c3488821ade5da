"""The console's pages, in navigation order: one module each, every one a `Page` (see
`consentkit.console.page`) that reads the store through `consentkit.review` and renders HTML."""

from __future__ import annotations

from consentkit.console.page import Page
from consentkit.console.pages import audit, collection_log, consent, cookies, ledger, overview, retention, subjects

PAGES: tuple[Page, ...] = (
    overview.PAGE, consent.PAGE, collection_log.PAGE, ledger.PAGE, subjects.PAGE, retention.PAGE, cookies.PAGE,
    audit.PAGE,
)

__all__ = ["PAGES"]
