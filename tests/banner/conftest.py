"""Fixtures for the banner unit tests (builders live in banner_markup.py)."""

from __future__ import annotations

import pytest

from banner.banner_markup import make_config
from consentkit.config import ConsentConfig


@pytest.fixture
def config() -> ConsentConfig:
    return make_config()
