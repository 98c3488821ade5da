"""README.md and docs/review.md show only commands, and options, that exist."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from consentkit.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def documented(path: Path) -> list[str]:
    """`consentkit ...` lines of the shell blocks of a Markdown file (up to a comment or a shell operator)."""
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", path.read_text(), re.DOTALL):
        for line in block.splitlines():
            found = re.search(r"(?:^|&&\s*|\s)(consentkit\s[^#&|>]*)", line)
            if found:
                lines.append(found.group(1).strip())
    return lines


def subcommand(parser: argparse.ArgumentParser, words: list[str]) -> tuple[argparse.ArgumentParser, list[str]]:
    """The parser of the (nested) subcommand `words` name, and the words after it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and words and words[0] in action.choices:
            return subcommand(action.choices[words[0]], words[1:])
    return parser, words


@pytest.mark.parametrize("doc", ["README.md", "docs/review.md", "docs/console.md"])
def test_documented_commands_exist(doc: str) -> None:
    commands = documented(ROOT / doc)
    assert commands
    for line in commands:
        words = shlex.split(line)[1:]
        parser, rest = subcommand(build_parser(), words)
        assert parser.prog != "consentkit", f"{doc}: {line!r} names no command"
        options = {o for a in parser._actions for o in a.option_strings}
        for word in rest:
            if word.startswith("--"):
                assert word.split("=", 1)[0] in options, f"{doc}: {line!r}: no option {word}"


def test_an_unknown_command_is_noticed() -> None:
    parser, _ = subcommand(build_parser(), ["audits"])
    assert parser.prog == "consentkit"
