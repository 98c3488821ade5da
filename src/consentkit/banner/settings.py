"""Configuration of the consent banner: texts, languages, layout, look."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class BannerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    layout: Literal["bar-bottom", "bar-top", "box", "modal"] = "bar-bottom"
    default_language: str = "en"
    privacy_url: str | None = None
