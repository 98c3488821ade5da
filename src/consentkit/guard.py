"""How consentkit fails: it never takes the host's request down.

A failure of consentkit's own (a bug, a broken geo database) is contained where it happens: logged,
counted (`core.failed`, by what failed) and the request served without that part. Cookie control
itself fails closed (`Engine.cookie_plan`).
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from consentkit.storage.writer import Writer

log = logging.getLogger("consentkit")


class contained:
    """`with contained(writer, what):` runs the block; a failure in it is logged, counted under
    `what` and goes no further. A class rather than a generator: it wraps every page view, and
    costs a third as much."""

    __slots__ = ("what", "writer")

    def __init__(self, writer: Writer, what: str) -> None:
        self.writer = writer
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool:
        if not isinstance(exc, Exception):
            return False  # none, or KeyboardInterrupt, SystemExit: the server's to handle
        log.error("consentkit: %s failed; the request is served without it", self.what, exc_info=exc)
        count_failure(self.writer, self.what)
        return True


def report(writer: Writer, what: str) -> None:
    """What `contained` does, for an `except Exception` block of its own: on the path of every page a
    `try` costs nothing until something fails, where a context manager costs its calls."""
    log.exception("consentkit: %s failed; the request is served without it", what)
    count_failure(writer, what)


def count_failure(writer: Writer, what: str) -> None:
    try:
        writer.tally("core.failed", what)
    except Exception:
        log.exception("consentkit: could not count a failure")
