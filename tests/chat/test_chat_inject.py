"""The HTML injector: exactly the snippet before the last </body>, or the body unchanged; never raises."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.chat.inject import charset_of, csp_nonce, find_body_end, inject_html, pick_nonce, sniff_charset

SNIP = '<script src="/_consent/chat.js"></script>'
END = re.compile(rb"</body(?:[\t\n\f\r />]|\Z)", re.IGNORECASE)


def test_inserts_before_the_last_body_end_tag_any_case() -> None:
    page = b"<html><body><p>a</p><!-- </body> --></BoDy>\n</html>"
    out = inject_html(page, SNIP, "utf-8")
    assert out == page.replace(b"</BoDy>", SNIP.encode() + b"</BoDy>")


def test_end_tag_needs_a_delimiter() -> None:
    assert inject_html(b"<body></bodyguard>", SNIP) == b"<body></bodyguard>"
    assert inject_html(b"<body></body >", SNIP) == b"<body>" + SNIP.encode() + b"</body >"
    assert inject_html(b"<body></body", SNIP) == b"<body>" + SNIP.encode() + b"</body"


def test_no_body_end_leaves_the_page_alone() -> None:
    page = b"<p>fragment</p>"
    assert inject_html(page, SNIP) is page


def test_charset_is_respected() -> None:
    page = "<body>Grüße</body>".encode("latin-1")
    out = inject_html(page, "<p>Café — ok</p>", "ISO-8859-1")
    assert out.decode("latin-1") == "<body>Grüße<p>Café &#8212; ok</p></body>"
    utf8 = inject_html("<body>Grüße</body>".encode(), "<p>Café — ok</p>", "utf-8")
    assert utf8.decode() == "<body>Grüße<p>Café — ok</p></body>"


def test_undecodable_unknown_or_wide_charsets_pass_through() -> None:
    bad = b"<body>\xff\xfe broken</body>"
    assert inject_html(bad, SNIP, "utf-8") is bad
    assert inject_html(b"<body></body>", SNIP, "no-such-charset") == b"<body></body>"
    wide = "<body></body>".encode("utf-16")
    assert inject_html(wide, SNIP, "utf-16") is wide
    assert inject_html(b"<body></body>", SNIP, "utf-7") == b"<body></body>"
    assert inject_html(b"<body></body>", SNIP, None) == b"<body></body>"  # nothing says which charset


def test_charset_sniffed_from_meta_or_bom_when_the_header_has_none() -> None:
    page = b'<html><head><meta charset="utf-8"></head><body></body></html>'
    assert inject_html(page, SNIP, None).count(SNIP.encode()) == 1
    assert sniff_charset(b"\xef\xbb\xbf<body>") == "utf-8"
    assert sniff_charset(b'<meta http-equiv="content-type" content="text/html; charset=windows-1252">') == (
        "windows-1252"
    )
    assert sniff_charset(b"<p>nothing</p>") is None


def test_charset_of_content_type() -> None:
    assert charset_of("text/html; charset=UTF-8") == "UTF-8"
    assert charset_of('text/html;charset="iso-8859-1"') == "iso-8859-1"
    assert charset_of("text/html") is None


def test_finds_the_end_tag_far_from_the_end() -> None:
    page = b"<body>" + b"x" * 10 + b"</body>" + b"<!-- trailing -->" * 5000
    assert find_body_end(page) == 16


def test_csp_nonce() -> None:
    assert csp_nonce("default-src 'self'; script-src 'nonce-abc+/=' 'strict-dynamic'") == "abc+/="
    assert csp_nonce("default-src 'nonce-d1'") == "d1"
    assert csp_nonce("script-src 'self'; default-src 'nonce-d1'") is None  # script-src wins
    assert csp_nonce("script-src-elem 'nonce-e1'; script-src 'nonce-s1'") == "e1"
    assert pick_nonce("app-nonce", "script-src 'nonce-h'") == "app-nonce"
    assert pick_nonce(None, "script-src 'nonce-h'") == "h"
    assert pick_nonce('"><script>', None) is None  # not a nonce: never rendered


# -- properties -----------------------------------------------------------------------------------
PIECES = st.sampled_from([
    "<body>", "</body>", "</BODY>", "</Body >", "</body", "</bodyx>", "<p>", "é", "—", "\x00", "<!--", "-->",
    "</b", "ody>", " ", "\n", "<script>", "</script>", "x",
])
PAGES = st.one_of(
    st.lists(PIECES, max_size=30).map("".join).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),
    st.lists(st.one_of(PIECES.map(str.encode), st.binary(max_size=8)), max_size=20).map(b"".join),
)
CHARSETS = st.sampled_from(["utf-8", "UTF-8", "latin-1", "cp1252", "utf-16", "shift_jis", "bogus", None, ""])
SNIPPETS = st.sampled_from([SNIP, "", "<p>Café — 😀</p>", "</body>"]) | st.text(max_size=40)


@settings(max_examples=400, deadline=None)
@given(PAGES, SNIPPETS, CHARSETS)
def test_injector_inserts_exactly_the_snippet_or_changes_nothing(page: bytes, snippet: str, charset: str | None
                                                                 ) -> None:
    out = inject_html(page, snippet, charset)
    if out == page:
        return
    at = find_body_end(page)
    assert at >= 0
    head, tail = out[:at], out[len(out) - (len(page) - at):]
    assert head == page[:at] and tail == page[at:]
    inserted = out[at:len(out) - len(tail)]
    name = charset or sniff_charset(page)
    assert name is not None
    assert inserted == snippet.encode(name, "xmlcharrefreplace")
    assert END.match(page, at)
    assert all(m.start() <= at for m in END.finditer(page))  # the last one


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_csp_parsing_never_raises(header: str) -> None:
    nonce = csp_nonce(header)
    assert nonce is None or re.fullmatch(r"[A-Za-z0-9+/=_\-]{1,128}", nonce)
