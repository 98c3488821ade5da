"""The configuration and the one Engine per process, read lazily from ``settings.CONSENTKIT``.

Both are cached; changing the setting (``override_settings`` in tests) closes the engine and drops
the cache, so the next request builds a new one from the new setting.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from consentkit.config import ConsentConfig
from consentkit.configfile import load_config
from consentkit.engine import Engine
from consentkit.errors import ConfigError

SETTING = "CONSENTKIT"
_lock = threading.Lock()
_config: ConsentConfig | None = None
_engine: Engine | None = None


def setting() -> Any:
    """The raw ``CONSENTKIT`` setting (None when it is not set)."""
    return getattr(settings, SETTING, None)


def build_config(source: Any) -> ConsentConfig:
    """A dict, a TOML path, a ``ConsentConfig`` or None (consentkit.toml / environment) → the config.

    Raises ConfigError, one line per problem, each starting with the config key.
    """
    if source is None or isinstance(source, (ConsentConfig, Mapping, str, os.PathLike)):
        return load_config(source)
    raise ConfigError([
        f"{SETTING}: expected a dict, a path to a TOML file or a ConsentConfig, got {type(source).__name__}"
    ])


def get_config() -> ConsentConfig:
    global _config
    cfg = _config
    if cfg is None:
        cfg = _config = build_config(setting())
    return cfg


def get_engine() -> Engine:
    """The process's Engine, created on first use; its writer is started and stopped at exit.

    A bad configuration raises ImproperlyConfigured naming the key (the system check E001 reports
    the same problems before the server starts).
    """
    global _engine
    engine = _engine
    if engine is not None:
        return engine
    with _lock:
        if _engine is None:
            try:
                engine = Engine(get_config())
            except ConfigError as exc:
                raise ImproperlyConfigured(f"settings.{SETTING}: {exc}") from None
            engine.start()
            atexit.register(engine.close)
            _engine = engine
        return _engine


def reset() -> None:
    """Close the engine (flushing its writer) and forget the cached config."""
    global _config, _engine
    with _lock:
        engine, _engine, _config = _engine, None, None
    if engine is not None:
        atexit.unregister(engine.close)
        engine.close()


@receiver(setting_changed)
def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING:
        reset()
