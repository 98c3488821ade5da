"""Parsing of untrusted request bodies sent to consentkit's endpoints."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

from consentkit.multipart import MultipartError, parse_multipart

MAX_ITEMS = 64


class BadBody(ValueError):
    """The body cannot be understood; the message names the problem for the JSON error."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class ChoiceRequest:
    action: str
    """"accept_all", "reject_all", "choose" (exactly `grant`) or "add" (`grant` on top of the
    visitor's current choice, as the choice cookie of the request says: a page never resends a
    state it may hold stale)."""
    grant: tuple[str, ...]
    next_url: str | None
    source: str
    lang: str | None
    form: bool


def parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], bool]:
    """JSON or form body → (mapping, is_form). Form fields repeat, so values become lists."""
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadBody("form body is not UTF-8") from None
        try:
            pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_ITEMS)
        except ValueError:  # parse_qsl's own "Max number of fields exceeded"
            raise BadBody(f"form body has more than {MAX_ITEMS} fields") from None
        fields: dict[str, Any] = {}
        for k, v in pairs:
            fields.setdefault(k, []).append(v)
        return fields, True
    if ctype == "multipart/form-data":
        try:
            return parse_multipart(content_type, body, MAX_ITEMS), True
        except MultipartError as exc:
            raise BadBody(str(exc)) from None
    if ctype in ("application/json", "text/plain", ""):
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise BadBody("body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadBody("JSON body must be an object")
        if b"\\u" in body and _lone_surrogate(data):
            raise BadBody("body is not valid JSON: a \\u escape is half a UTF-16 surrogate pair")
        return data, False
    raise BadBody(f"unsupported content type {ctype!r}; send application/json or a form", 415)


def _lone_surrogate(data: Any) -> bool:
    """Whether a string in `data` holds half a surrogate pair (JSON lets "\\ud800" through): no
    text encoding, and so no store, takes it."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_choice(content_type: str, body: bytes, known: tuple[str, ...]) -> ChoiceRequest:
    data, form = parse_body(content_type, body)
    if form:
        action = (data.get("action") or [""])[-1]
        grant_raw: Any = data.get("grant", [])
        next_url = (data.get("next") or [None])[-1]
        lang = (data.get("lang") or [None])[-1]
        source = "form"
    else:
        unknown = sorted(set(data) - {"action", "grant", "add", "next", "source", "lang"})
        if unknown:
            raise BadBody(f"unknown field(s): {', '.join(map(str, unknown))}")
        action = data.get("action", "choose" if "grant" in data else "")
        grant_raw = data.get("grant", [])
        next_url = data.get("next")
        lang = data.get("lang")
        source = "banner" if data.get("source") == "banner" else "api"
    if not isinstance(action, str) or action not in ("accept_all", "reject_all", "choose", ""):
        raise BadBody("action must be one of accept_all, reject_all, choose")
    if "add" in data:
        if action or "grant" in data:
            raise BadBody("send 'add' alone, without 'grant' or 'action'")
        if not isinstance(data["add"], list) or not data["add"]:
            raise BadBody("add must be a non-empty list of category keys")
        action, grant_raw = "add", data["add"]
    field = "add" if action == "add" else "grant"
    if not isinstance(grant_raw, list) or not all(isinstance(g, str) for g in grant_raw):
        raise BadBody(f"{field} must be a list of category keys")
    if len(grant_raw) > MAX_ITEMS:
        raise BadBody(f"{field} lists too many categories")
    if action == "":
        if not form and "grant" not in data:
            raise BadBody("send either 'grant': [categories] or 'action': accept_all | reject_all")
        action = "choose"
    unknown_cats = sorted({g for g in grant_raw if g not in known})
    if unknown_cats:
        raise BadBody(f"unknown category: {', '.join(c[:40] for c in unknown_cats[:5])}")
    if next_url is not None and not isinstance(next_url, str):
        raise BadBody("next must be a string")
    if lang is not None and (not isinstance(lang, str) or len(lang) > 35):
        raise BadBody("lang must be a short language tag")
    return ChoiceRequest(action, tuple(dict.fromkeys(grant_raw)), next_url, source, lang, form)


def safe_next(next_url: str | None) -> str:
    """A same-site path to redirect to; anything that could leave the site becomes "/"."""
    if not next_url or len(next_url) > 2048:
        return "/"
    if not next_url.startswith("/") or next_url.startswith("//") or "\\" in next_url:
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in next_url):
        return "/"
    if not next_url.isascii():  # a Location header is latin-1 at most: UTF-8 percent-encoded, as browsers do
        next_url = quote(next_url, safe=_URL_ASCII, errors="replace")
    return next_url


_URL_ASCII = "!#$%&'()*+,-./:;=?@[]^_`{|}~"
"""What `quote` may leave as it is in a path and query besides letters and digits: all but space."""
