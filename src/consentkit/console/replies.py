"""What the console sends back besides pages: security headers on everything, refusals, downloads,
redirects. Nothing from a request reaches a header here unchecked."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse

from consentkit.console.headers import SECURITY_HEADERS
from consentkit.console.page import Download

_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_CONTENT_TYPE = re.compile(r"[a-z]+/[a-z0-9.+-]+(; ?charset=utf-8)?")
_SAFE_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*")


def secure(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def refusal(request: Request, status: int, message: str, page: Callable[[str, str], str] | None = None) -> Response:
    """A 4xx (or 5xx) naming the problem: a page for browsers, JSON for everyone else."""
    if page is not None and wants_html(request):
        return HTMLResponse(page(f"{status}", f'<p class="refusal">{html.escape(message)}</p>'), status)
    return Response(json.dumps({"error": message}), status, media_type="application/json")


def download(file: Download) -> Response:
    """The file as an attachment; a name or type that is not plainly safe is replaced."""
    name = file.filename if _FILENAME.fullmatch(file.filename) else "download"
    ctype = file.content_type if _CONTENT_TYPE.fullmatch(file.content_type) else "application/octet-stream"
    chunks: Iterable[bytes] = file.chunks
    return StreamingResponse(iter(chunks), media_type=ctype,
                             headers={"content-disposition": f'attachment; filename="{name}"'})


def safe_below(base: str, path: str) -> str | None:
    """`base + path` when `path` is a plain path below the console (no scheme, host or control
    character), else None."""
    if not path.startswith("/") or path.startswith("//") or len(path) > 2048 or not _SAFE_PATH.fullmatch(path):
        return None
    return base + path
