"""How consentkit fails: it never takes the host's request down.

A failure of consentkit's own (a bug, a broken geo database) is contained where it happens: logged,
counted (`core.failed`, by what failed) and the request served without that part. Cookie control
itself fails closed (`Engine.cookie_plan`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from consentkit.storage.writer import Writer

log = logging.getLogger("consentkit")


@contextmanager
def contained(writer: Writer, what: str) -> Iterator[None]:
    """Run the block; a failure in it is logged, counted under `what` and goes no further."""
    try:
        yield
    except Exception:
        log.exception("consentkit: %s failed; the request is served without it", what)
        count_failure(writer, what)


def count_failure(writer: Writer, what: str) -> None:
    try:
        writer.tally("core.failed", what)
    except Exception:
        log.exception("consentkit: could not count a failure")
