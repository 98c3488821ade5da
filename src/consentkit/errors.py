"""Exceptions a site owner sees at start-up."""

from __future__ import annotations

from pydantic import ValidationError


class ConsentKitError(Exception):
    """Base of consentkit's own errors."""


class ConfigError(ConsentKitError):
    """A configuration that cannot work; one line per problem, each naming its key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"consentkit configuration has {len(problems)} problem(s):\n{lines}")

    @classmethod
    def from_validation(cls, exc: ValidationError) -> ConfigError:
        problems: list[str] = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            msg = str(err["msg"]).removeprefix("Value error, ")
            if not loc:  # cross-field checks report several lines, each already naming its key
                problems.extend(line for line in msg.splitlines() if line)
            else:
                problems.append(f"{loc}: {msg}")
        return cls(problems)
