"""``{% load consentkit %}``: ``{% consent_assets %}``, ``{% consent_banner %}``, ``{% ifconsent %}`` and
``{% cookie_declaration %}``.

The banner needs the request in the context (``django.template.context_processors.request``);
without it, or without the middleware, the banner renders nothing and ``ifconsent`` takes its
``else`` branch — nothing is ever allowed by default.
"""

from __future__ import annotations

import logging
from typing import Any

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe

from consentkit.banner.render import assets_html, banner_html
from consentkit.consent import ConsentState
from consentkit.review.declaration_render import cookie_declaration_html
from consentkit_django.chat import request_nonce
from consentkit_django.conf import get_config, get_engine

register = template.Library()
log = logging.getLogger("consentkit")


def _request(context: Context) -> Any:
    return context.get("request")


def _state(context: Context) -> ConsentState | None:
    state = getattr(_request(context), "consent", None)
    return state if isinstance(state, ConsentState) else None


def _nonce(context: Context) -> str | None:
    """The page's CSP nonce: Django's ``csp`` context processor or its middleware (6.0+), or django-csp."""
    return request_nonce(_request(context), context.get("csp_nonce"))


@register.simple_tag(takes_context=True)
def consent_assets(context: Context) -> SafeString:
    """The banner's stylesheet and deferred script; put it in ``<head>``."""
    return mark_safe(assets_html(get_config(), nonce=_nonce(context)))


@register.simple_tag(takes_context=True)
def consent_banner(context: Context, lang: str | None = None, pixel: bool = False) -> SafeString:
    """The consent banner; put it first in ``<body>``. ``lang`` defaults to the page's language."""
    request = _request(context)
    state = _state(context)
    if state is None:
        log.warning(
            "consentkit: {% consent_banner %} rendered without a consent state; add "
            "'django.template.context_processors.request' to the template context processors and "
            "'consentkit_django.middleware.ConsentMiddleware' to MIDDLEWARE"
        )
        return mark_safe("")
    html = banner_html(
        get_config(),
        state,
        lang=lang or getattr(request, "LANGUAGE_CODE", None),  # set by LocaleMiddleware
        accept_language=request.headers.get("accept-language", ""),
        nonce=_nonce(context),
        next_url=request.get_full_path(),
        pixel=bool(pixel),
    )
    return mark_safe(html)  # every configured text is escaped by the renderer


@register.simple_tag(takes_context=True)
def cookie_declaration(context: Context, lang: str | None = None) -> SafeString:
    """The cookie declaration for the privacy page, in ``lang``, else the page's language (or the
    visitor's Accept-Language) among the banner's; lifetimes as seen in the site's responses."""
    request = _request(context)
    engine = get_engine()
    html = cookie_declaration_html(
        engine.config, lang or getattr(request, "LANGUAGE_CODE", None), store=engine.store,
        accept_language=request.headers.get("accept-language", "") if request is not None else "",
    )
    return mark_safe(html)  # every configured and observed value is escaped by the renderer


class IfConsentNode(template.Node):
    child_nodelists = ("nodelist_true", "nodelist_false")

    def __init__(self, categories: list[FilterExpression], nodelist_true: NodeList, nodelist_false: NodeList) -> None:
        self.categories = categories
        self.nodelist_true = nodelist_true
        self.nodelist_false = nodelist_false

    def render(self, context: Context) -> SafeString:
        state = _state(context)
        allowed = state is not None and all(state.allows(str(c.resolve(context))) for c in self.categories)
        return (self.nodelist_true if allowed else self.nodelist_false).render(context)


@register.tag("ifconsent")
def do_ifconsent(parser: Parser, token: Token) -> IfConsentNode:
    """``{% ifconsent "analytics" %} … {% else %} … {% endifconsent %}``; several categories must all be in effect."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(
            f"'{bits[0]}' needs at least one category, e.g. {{% {bits[0]} \"analytics\" %}}"
        )
    categories = [parser.compile_filter(b) for b in bits[1:]]
    nodelist_true = parser.parse(("else", "endifconsent"))
    nxt = parser.next_token()
    if nxt.contents == "else":
        nodelist_false = parser.parse(("endifconsent",))
        parser.delete_first_token()
    else:
        nodelist_false = NodeList()
    return IfConsentNode(categories, nodelist_true, nodelist_false)
