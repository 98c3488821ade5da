"""OpenAPI documentation of consentkit's endpoints.

The middleware answers these URLs before routing; the routes added here exist so that FastAPI puts
them in the schema (and answer 503 if the middleware was somehow left out).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from consentkit.config import ConsentConfig, LawfulBasis

TAG = "consent"


class SignalsOut(BaseModel):
    dnt: bool = Field(description="The request carried `DNT: 1`.")
    gpc: bool = Field(description="The request carried `Sec-GPC: 1` (Global Privacy Control).")


class CategoryOut(BaseModel):
    key: str
    title: str
    description: str
    required: bool
    lawful_basis: LawfulBasis
    cookies: list[str] = Field(description="Cookie names or glob patterns the category owns.")


class ConsentStateOut(BaseModel):
    """The visitor's consent as in effect for this request."""

    model_config = ConfigDict(extra="forbid")

    choice_made: bool
    consent_id: str | None = Field(description="Identifies the visitor's choice in the consent ledger.")
    granted: list[str] = Field(description="Categories the visitor granted.")
    effective: list[str] = Field(description="Categories in effect: required, granted, less what signals deny.")
    signals: SignalsOut
    denied_by_signal: list[str]
    conflict: list[str] = Field(description="Granted categories a browser signal now denies.")
    policy_version: str
    decided_at: datetime | None
    regime: str | None = Field(description="The regional regime in effect (`regions`); null without regions.")
    override_allowed: bool = Field(description="Whether an explicit opt-in may override DNT/GPC.")
    categories: list[CategoryOut]


class ErrorOut(BaseModel):
    error: str


class BeaconIn(BaseModel):
    path: str = Field(description="The page's path.", max_length=1024)
    engaged_ms: int = Field(0, ge=0, le=86_400_000)
    scroll: int | None = Field(None, ge=0, le=100, description="Deepest scroll position, in percent.")
    clicks: list[str] = Field(default_factory=list, max_length=20, description="Outbound links clicked.")


class GpcOut(BaseModel):
    gpc: bool
    lastUpdate: str  # the name the GPC specification uses


def _choice_model(config: ConsentConfig) -> type[BaseModel]:
    optional = tuple(c.key for c in config.categories if not c.required) or ("none",)
    category: Any = Literal[optional]
    fields: dict[str, Any] = {
        "action": (Literal["accept_all", "reject_all", "choose"] | None,
                   Field(None, description="accept_all, reject_all, or choose (with `grant`).")),
        "grant": (list[category] | None,
                  Field(None, description="The optional categories granted; the rest are denied.")),
        "next": (str | None, Field(None, description="Same-site path to return to (form posts).")),
        "source": (Literal["banner", "api"] | None, Field(None)),
        "lang": (str | None, Field(None, max_length=35, description="The language the banner was shown in.")),
    }
    model: type[BaseModel] = create_model(
        "ConsentChoiceIn", __config__=ConfigDict(extra="forbid"), **fields
    )
    model.__doc__ = 'A choice: `{"grant": [...]}` or `{"action": "accept_all" | "reject_all"}`.'
    return model


async def _not_in_front() -> Response:
    return JSONResponse({"error": "consentkit's middleware is not in front of this app"}, status_code=503)


def add_routes(app: FastAPI, config: ConsentConfig) -> None:
    prefix = config.prefix
    errors: dict[int | str, dict[str, Any]] = {
        400: {"model": ErrorOut, "description": "The body cannot be understood."},
        403: {"model": ErrorOut, "description": "Cross-site request (Origin/Referer is not this site)."},
        413: {"model": ErrorOut, "description": "Body too large."},
        415: {"model": ErrorOut, "description": "Neither JSON nor a form."},
        503: {"model": ErrorOut, "description": "The choice could not be recorded; nothing changed."},
    }
    choice = _choice_model(config)

    async def state() -> Response:
        return await _not_in_front()

    async def choose(body: Any) -> Response:
        return await _not_in_front()

    choose.__annotations__["body"] = choice  # the model is built per site (its categories)

    app.add_api_route(
        f"{prefix}/state", state, methods=["GET"], response_model=ConsentStateOut, tags=[TAG],
        operation_id="consentkit_state", summary="The visitor's consent in effect",
    )
    form_schema = {"type": "object", "properties": {
        "action": {"type": "string", "enum": ["accept_all", "reject_all", "choose"]},
        "grant": {"type": "array", "items": {"type": "string"}},
        "next": {"type": "string"}, "lang": {"type": "string"},
    }}
    app.add_api_route(
        prefix, choose, methods=["POST"], response_model=ConsentStateOut, tags=[TAG],
        operation_id="consentkit_choose", summary="Record the visitor's choice (grant, withdraw, accept or reject all)",
        description="Writes the choice to the consent ledger, then sets the signed choice cookie. "
        "Withdrawal is the same call with fewer categories. A form post answers 303 to `next`.",
        responses={**errors, 303: {"description": "Form post: back to `next`."}},
        openapi_extra={"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": form_schema}}}},
    )
    if config.collection.enabled:
        async def beacon(body: BeaconIn) -> Response:
            return await _not_in_front()

        async def pixel(
            p: str | None = Query(None, description="The page's path."),
            r: str | None = Query(None, description="The referrer."),
        ) -> Response:
            return await _not_in_front()

        app.add_api_route(
            f"{prefix}/beacon", beacon, methods=["POST"], status_code=204, response_class=Response, tags=[TAG],
            operation_id="consentkit_beacon", summary="Engaged time, scroll depth and outbound clicks",
            description="Stored only within the visitor's consent; always answers 204.",
        )
        app.add_api_route(
            f"{prefix}/pixel.gif", pixel, methods=["GET"], response_class=Response, tags=[TAG],
            operation_id="consentkit_pixel", summary="Counting pixel for pages without JavaScript",
            responses={200: {"content": {"image/gif": {}}, "description": "A 1 by 1 pixel GIF."}},
        )
    if config.gpc_denies:
        async def gpc() -> Response:
            return await _not_in_front()

        app.add_api_route(
            "/.well-known/gpc.json", gpc, methods=["GET"], response_model=GpcOut, tags=[TAG],
            operation_id="consentkit_gpc", summary="Global Privacy Control support statement",
        )
