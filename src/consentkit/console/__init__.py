"""The review console: a web view of the collection log, the ledger and the consent analytics for
privacy teams and site owners, with roles and an access log.

`app(config)` is the ASGI application (`consentkit.console.shell`); it needs Starlette, which comes
with the `console` extra, and is imported only when called: the page contract
(`consentkit.console.page`) and the access log need nothing beyond the core, so the Django admin
and `consentkit audit` use them without loading a web framework.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from consentkit.config import ConsentConfig
    from consentkit.console.shell import ConsoleApp

CONSOLE_EXTRA = "pip install 'consentkit[console]'"


def app(config: ConsentConfig, **options: Any) -> ConsoleApp:
    """The console for `config`'s site; `options` as `consentkit.console.shell.app` takes them
    (`authenticate=`, `store=`, …)."""
    try:
        from consentkit.console.shell import app as make
    except ModuleNotFoundError as exc:
        if exc.name != "starlette":
            raise
        raise ModuleNotFoundError(f"the console's web application needs Starlette: {CONSOLE_EXTRA}",
                                  name="starlette") from None
    return make(config, **options)
