"""What every settings model shares: the strict pydantic base and the category-key rule."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

CATEGORY_KEY = r"[a-z][a-z0-9_]{0,31}"
"""A consent category's key (matched whole): it travels in the choice cookie joined with "-"."""
CategoryKey = Annotated[str, Field(pattern=f"^{CATEGORY_KEY}$")]  # pydantic's (Rust) `$` ends the text


class Strict(BaseModel):
    """Unknown keys are errors (a typo must not be ignored); settings are frozen once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)
