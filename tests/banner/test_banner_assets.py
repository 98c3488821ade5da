"""banner.js / banner.css: size budget, versioned URLs, caching, ETags, CSP hygiene."""

from __future__ import annotations

import hashlib
import re

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from banner.banner_markup import make_config
from consentkit import ConsentMiddleware
from consentkit.banner import assets
from consentkit.banner.assets import ASSETS, asset_reply, asset_url, gzipped_sizes

NAMES = ("banner.js", "banner.css")


def test_both_files_together_fit_in_8_kb_gzipped(capsys: pytest.CaptureFixture[str]) -> None:
    sizes = gzipped_sizes()
    assets.main()
    out = capsys.readouterr().out
    for name in NAMES:
        assert f"{name}: {len(ASSETS[name].body)} bytes, {sizes[name]} bytes gzipped" in out
    assert sum(sizes.values()) <= 8192, out


@pytest.mark.parametrize("name", NAMES)
def test_versioned_url_is_cached_for_a_year(name: str) -> None:
    asset = ASSETS[name]
    assert asset.version == hashlib.sha256(asset.body).hexdigest()[:16]
    assert asset_url("/_consent", name) == f"/_consent/{name}?v={asset.version}"
    reply = asset_reply(name, asset.version, None)
    assert reply is not None and reply.status == 200 and reply.body == asset.body
    headers = dict(reply.headers)
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["etag"] == asset.etag
    assert headers["content-type"].startswith("text/javascript" if name.endswith(".js") else "text/css")
    assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("version", [None, "", "0123456789abcdef"])
def test_other_versions_are_revalidated(version: str | None) -> None:
    reply = asset_reply("banner.js", version, None)
    assert reply is not None and dict(reply.headers)["cache-control"] == "public, no-cache"


@pytest.mark.parametrize("header", ["{etag}", "W/{etag}", '"nope", {etag}', "*"])
def test_matching_etag_gives_304(header: str) -> None:
    asset = ASSETS["banner.css"]
    reply = asset_reply("banner.css", asset.version, header.format(etag=asset.etag))
    assert reply is not None and reply.status == 304 and reply.body == b""
    assert dict(reply.headers)["etag"] == asset.etag


def test_stale_etag_gives_the_file() -> None:
    reply = asset_reply("banner.css", None, '"0000"')
    assert reply is not None and reply.status == 200 and reply.body


@pytest.mark.parametrize("name", ["banner.min.js", "../settings.py", "", "locales/en.json"])
def test_only_the_two_files(name: str) -> None:
    assert asset_reply(name, None, None) is None


def test_served_through_the_middleware() -> None:
    config = make_config()
    with TestClient(ConsentMiddleware(Starlette(), config=config)) as client:
        url = asset_url(config.prefix, "banner.js")
        first = client.get(url)
        assert first.status_code == 200 and first.headers["cache-control"].endswith("immutable")
        again = client.get(url, headers={"if-none-match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""


def test_script_needs_no_unsafe_csp() -> None:
    js = ASSETS["banner.js"].body.decode()
    for banned in (r"\beval\(", r"new Function", r"setTimeout\(['\"]", r"innerHTML", r"outerHTML",
                   r"insertAdjacentHTML", r"document\.write", r"\.onclick", r"setAttribute\(['\"]on",
                   r"setAttribute\(['\"]style", r"\.style\.(?!setProperty)"):
        assert not re.search(banned, js), banned
    css = ASSETS["banner.css"].body.decode()
    for banned in ("@import", "url(", "expression("):
        assert banned not in css
