"""Constants and small helpers shared by the chat tests."""

from __future__ import annotations

import json
import re
from typing import Any

from consentkit.engine import Engine

LIVECHAT = {"provider": "livechat", "site_id": "12345678"}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def chat_counts(engine: Engine) -> dict[str, int]:
    """The chat counters stored so far, summed over days."""
    engine.writer.flush()
    out: dict[str, int] = {}
    for _, metric, key, n in engine.store.counts("chat"):
        if metric == "chat":
            out[key] = out.get(key, 0) + n
    return out


def chat_config(page: str) -> dict[str, Any]:
    """The JSON config block the chat put into a page."""
    m = re.search(r'<script type="application/json" id="consentkit-chat">(.*?)</script>', page)
    assert m is not None, page
    data: dict[str, Any] = json.loads(m.group(1))
    return data
