"""The rule for who may change a choice (consentkit.csrf): a page of another site never can."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit import ConsentMiddleware, WSGIConsentMiddleware
from consentkit.csrf import origin_of, refusal, site_origin
from consentkit.http import RequestView
from raw_requests import asgi_call, wsgi_call

from conftest import WSGISite, asgi_site, make_config

ACCEPT = b'{"action": "accept_all"}'
OWN = "http://testserver"
# (request scheme, headers, content type, accepted?)
CASES: list[tuple[str, dict[str, str], str, bool]] = [
    ("http", {"origin": OWN}, "application/json", True),
    ("http", {"origin": "HTTP://TestServer:80"}, "application/json", True),  # case and default port
    ("http", {"origin": "https://testserver"}, "application/json", True),  # TLS ended at a proxy: an upgrade
    ("https", {"origin": "https://testserver"}, "application/json", True),
    ("https", {"origin": "http://testserver"}, "application/json", False),  # a downgrade
    ("http", {"origin": "http://testserver:8080"}, "application/json", False),
    ("http", {"origin": "http://testserver.evil.example"}, "application/json", False),
    ("http", {"origin": "http://evil@testserver"}, "application/json", False),  # not an origin
    ("http", {"origin": "http://sub.testserver", "sec-fetch-site": "same-site"}, "application/json", False),
    ("http", {"origin": "null"}, "application/json", False),
    ("http", {"origin": "null", "referer": OWN + "/page"}, "application/json", True),
    ("http", {"referer": OWN + "/page?x=1"}, "application/json", True),
    ("http", {"referer": "https://evil.example/" + OWN}, "application/json", False),
    ("http", {}, "application/json", False),  # nothing says which page made it
    ("http", {}, "text/plain", False),
    ("http", {"origin": OWN}, "text/plain", True),  # the origin decides, not the content type
    ("http", {"origin": "https://evil.example"}, "text/plain", False),
    ("http", {"sec-fetch-site": "same-origin"}, "application/json", True),  # a browser's own word
    ("http", {"sec-fetch-site": "none", "origin": OWN}, "application/json", True),
    ("http", {"sec-fetch-site": "none"}, "application/json", False),
    ("http", {"sec-fetch-site": "cross-site", "origin": OWN}, "application/json", False),
    ("http", {"sec-fetch-site": "cross-site", "origin": "https://shop.example"}, "application/json", True),
    ("http", {"origin": "https://shop.example:443"}, "application/json", True),  # allowed_origins
    ("http", {"sec-fetch-site": "same-origin, cross-site", "origin": OWN}, "application/json", False),
    ("http", {"sec-fetch-site": "nonsense", "origin": OWN}, "application/json", False),
]


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cfg = make_config(tmp_path_factory.mktemp("csrf"), allowed_origins=["https://shop.example"])
    asgi = ConsentMiddleware(asgi_site(), config=cfg)
    wsgi = WSGIConsentMiddleware(WSGISite(), engine=asgi.engine)
    yield asgi, wsgi
    asgi.engine.close()


@pytest.mark.parametrize(("scheme", "headers", "ctype", "accepted"), CASES)
@pytest.mark.parametrize("kind", ["asgi", "wsgi"])
def test_who_may_change_a_choice(
    apps: Any, kind: str, scheme: str, headers: dict[str, str], ctype: str, accepted: bool
) -> None:
    asgi, wsgi = apps
    raw = [(b"host", b"testserver"), (b"content-type", ctype.encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    for path in ("/_consent", "/_consent/chat/click"):
        if kind == "asgi":
            r = asgi_call(asgi, "POST", path, raw, ACCEPT, scheme=scheme)
        else:
            r = wsgi_call(wsgi, "POST", path, raw, ACCEPT, scheme=scheme)
        if accepted:
            assert r.status in (200, 204), (path, r.body)
        else:
            assert r.status == 403, (path, r.body)
            assert b"cross-site" in r.body and b"refused: " in r.body
            assert not r.header_values(b"set-cookie")


def _view(scheme: str, headers: dict[str, str]) -> RequestView:
    return RequestView("POST", "/_consent", "", {"host": "site.example", **headers}, "10.0.0.1", scheme)


hosts = st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){0,3}", fullmatch=True)
ports = st.none() | st.integers(min_value=1, max_value=65535)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["http", "https"]), st.sampled_from(["http", "https"]), hosts, ports,
       st.sampled_from([None, "same-site", "cross-site", "none"]), st.booleans())
def test_a_page_of_another_site_can_never_change_a_choice(
    scheme: str, page_scheme: str, host: str, port: int | None, fetch_site: str | None, as_referer: bool
) -> None:
    """Whatever another site's page (any host or port but this one's, or plain http beside https)
    sends, as a browser would send it: refused."""
    own = host == "site.example" and port in (None, 80 if page_scheme == "http" else 443)
    downgrade = scheme == "https" and page_scheme == "http"
    origin = f"{page_scheme}://{host}" + (f":{port}" if port is not None else "")
    headers = {"referer": origin + "/a/page"} if as_referer else {"origin": origin}
    if fetch_site is not None:
        headers["sec-fetch-site"] = fetch_site
    why = refusal(_view(scheme, headers), ())
    if not own or downgrade or fetch_site == "cross-site":
        assert why is not None
    else:
        assert why is None


@settings(max_examples=1000, deadline=None)
@given(st.dictionaries(st.sampled_from(["origin", "referer", "sec-fetch-site", "host"]),
                       st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=60)),
       st.sampled_from(["http", "https"]))
def test_the_rule_never_raises_and_accepts_only_this_site(headers: dict[str, str], scheme: str) -> None:
    view = RequestView("POST", "/_consent", "", headers, None, scheme)
    why = refusal(view, ())
    if why is None and headers.get("sec-fetch-site", "").strip().lower() != "same-origin":
        origin = headers.get("origin", "").strip()
        source = origin_of(origin if origin and origin != "null" else headers.get("referer", ""))
        own = site_origin(view)
        assert source is not None and own is not None and source[1:] == own[1:]
