"""`consentkit console`: the console under uvicorn, a real server, on one address and port."""

from __future__ import annotations

import sys

import uvicorn

from consentkit.config import ConsentConfig
from consentkit.console.shell import app


def serve(config: ConsentConfig, host: str, port: int) -> int:
    if not config.console.users:
        print("consentkit console: no users in console.users, so nobody can log in; make one with "
              "`consentkit console add-user NAME --role officer`", file=sys.stderr)
    print(f"consentkit console on http://{host}:{port}/ (answers {', '.join(map(str, config.console.allow_networks))})",
          flush=True)
    # consentkit finds the client's address itself (trusted_proxies, proxy_headers), as the middleware does:
    # uvicorn must not rewrite the peer from X-Forwarded-For first.
    uvicorn.run(app(config), host=host, port=port, proxy_headers=False, log_level="warning")
    return 0
