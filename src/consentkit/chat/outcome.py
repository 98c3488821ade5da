"""What the chat decided for a page, and why: the records every part of the chat shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple, TypeAlias

Outcome = Literal["show", "placeholder", "hide"]
Says = Literal["show", "hide"]
DataValue: TypeAlias = str | int | float | bool | None


class Reason(NamedTuple):
    """One rule's say in a decision: which rule, "show" or "hide", and why."""

    rule: str
    says: Says
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "says": self.says, "detail": self.detail}


class ChatDecision(NamedTuple):
    """What was decided for one page, why, and what the widget gets."""

    outcome: Outcome
    reasons: tuple[Reason, ...]
    counted: str
    """The counter it was counted under: shown, placeholder_shown, hidden_by_rule, hidden_by_consent."""
    data: Mapping[str, DataValue]
    """Data the hooks returned with Show(data=…), for the widget."""
    prechat: Mapping[str, Any]
    """The pre-chat fields in effect, for the widget."""
    track: bool = True
    """Whether the page view counts into the visit's data. False for a hide that holds on every page
    while the visitor's headers stay the same: what the chat would never use is not kept. False for a
    page `exclude_paths` matches: such a page is outside the chat, so it is neither counted nor listed
    in the pre-chat `pages` a third-party agent sees (typical ones: checkout, account pages)."""

    def as_dict(self) -> dict[str, Any]:
        return {"decision": self.outcome, "reasons": [r.as_dict() for r in self.reasons]}
