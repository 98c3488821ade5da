"""Loading the configuration: from a model, a mapping, kwargs or a TOML file (consentkit.toml, or
[tool.consentkit] in pyproject.toml); CONSENTKIT_* environment variables win over all of them.
A bad configuration is one `ConfigError` listing every problem, each naming its key."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import SettingsError

from consentkit.config import ConsentConfig
from consentkit.errors import ConfigError


def find_config_file(start: Path | None = None) -> Path | None:
    """consentkit.toml, or a pyproject.toml with [tool.consentkit], in the working directory."""
    base = start or Path.cwd()
    for name in ("consentkit.toml", "pyproject.toml"):
        p = base / name
        if p.is_file() and (name == "consentkit.toml" or "[tool.consentkit" in p.read_text("utf-8", "replace")):
            return p
    return None


def read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: not valid TOML ({exc})"]) from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("consentkit", {})
    return data


def load_config(
    source: ConsentConfig | str | os.PathLike[str] | Mapping[str, Any] | None = None, **kwargs: Any
) -> ConsentConfig:
    """Build the config from a model, a TOML path, a mapping or kwargs; CONSENTKIT_* env vars win.

    Raises ConfigError listing every problem, each naming its key.
    """
    if isinstance(source, ConsentConfig) and not kwargs:
        return source
    data: dict[str, Any] = {}
    if isinstance(source, ConsentConfig):
        data = source.model_dump()
        data["secret_keys"] = source.signing_keys
    elif isinstance(source, (str, os.PathLike)):
        data = read_toml(Path(source))
    elif isinstance(source, Mapping):
        data = dict(source)
    elif not kwargs:
        found = find_config_file()
        if found:
            data = read_toml(found)
    data.update(kwargs)
    try:
        return ConsentConfig(**data)
    except ValidationError as exc:
        raise ConfigError(_all_problems(data, exc)) from None
    except SettingsError as exc:
        raise ConfigError([f"environment: {exc} (CONSENTKIT_* values of lists and tables are JSON)"]) from None


def _all_problems(data: dict[str, Any], exc: ValidationError) -> list[str]:
    """Field errors, plus the cross-field problems found by retrying without the failing keys."""
    problems = ConfigError.from_validation(exc).problems
    failing = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    retry = {k: v for k, v in data.items() if k not in failing}
    if "secret_keys" not in retry:
        retry["secret_keys"] = ["x" * 32]
    if failing:
        try:
            ConsentConfig(**retry)
        except ValidationError as again:
            for p in ConfigError.from_validation(again).problems:
                if p not in problems and p.split(":", 1)[0].split(".")[0] not in failing:
                    problems.append(p)
        except SettingsError:
            pass
    return list(dict.fromkeys(problems))
