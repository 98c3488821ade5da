"""The shipped locales and language tags, without any configuration (`banner.texts` adds the site's).

Locales are flat JSON files (``locales/<lang>.json``, text key → string), one per language, so a
translator edits one file without touching code. English defines the set of keys. Keys starting
with `category.` translate the default categories' titles and descriptions: a site words its own
categories with `banner.category_texts`, so they are not among the keys `banner.texts` overrides.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from importlib.resources import files

RTL = frozenset({"ar", "he", "fa", "ur"})
LANG_TAG = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{1,8})*\Z")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
CATEGORY_PREFIX = "category."
MAX_ACCEPT_LANGUAGE = 1024
MAX_LANGUAGE_RANGES = 32


@cache
def shipped_languages() -> tuple[str, ...]:
    """The languages with a locale file in the package, sorted."""
    folder = files("consentkit.banner").joinpath("locales")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json")))


@cache
def shipped_texts(lang: str) -> dict[str, str]:
    """One shipped locale; KeyError if it is not shipped."""
    if lang not in shipped_languages():
        raise KeyError(lang)
    raw = files("consentkit.banner").joinpath("locales", f"{lang}.json").read_text("utf-8")
    data = json.loads(raw)
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"locales/{lang}.json must be a flat object of strings")
    return data


def text_keys() -> frozenset[str]:
    """The keys a site may override in `banner.texts`."""
    return frozenset(k for k in shipped_texts("en") if not k.startswith(CATEGORY_PREFIX))


def placeholders(text: str) -> frozenset[str]:
    return frozenset(PLACEHOLDER.findall(text))


def normalize_tag(tag: str) -> str | None:
    """`pt_BR` / `PT-br` → `pt-br`; None if it does not look like a language tag."""
    t = tag.strip().replace("_", "-").lower()
    return t if LANG_TAG.match(t) else None


def primary(tag: str) -> str:
    return tag.split("-", 1)[0]


def direction(lang: str) -> str:
    return "rtl" if primary(lang.lower()) in RTL else "ltr"


def parse_accept_language(header: str) -> list[str]:
    """The language tags of an Accept-Language header, most preferred first.

    Malformed ranges, `*`, and ranges with q=0 are skipped; equal weights keep header order.
    """
    ranges: list[tuple[float, int, str]] = []
    for i, item in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")[:MAX_LANGUAGE_RANGES]):
        tag, *params = item.split(";")
        norm = normalize_tag(tag)
        if norm is None:
            continue
        q = 1.0
        for p in params:
            name, _, value = p.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if not (0.0 < q <= 1.0) or math.isnan(q):
            continue
        ranges.append((-q, i, norm))
    return [tag for _, _, tag in sorted(ranges)]


def match_language(tag: str, available: frozenset[str]) -> str | None:
    """The available language for `tag`: the tag itself, else its primary subtag."""
    norm = normalize_tag(tag)
    if norm is None:
        return None
    if norm in available:
        return norm
    prim = primary(norm)
    return prim if prim in available else None
