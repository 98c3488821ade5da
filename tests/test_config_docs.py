"""docs/configuration.md is generated from the model; this fails when it was not regenerated."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_configuration_reference_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("gen_config_docs", ROOT / "scripts" / "gen_config_docs.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    current = (ROOT / "docs" / "configuration.md").read_text("utf-8")
    assert current == gen.render(), "docs/configuration.md is out of date: run scripts/gen_config_docs.py"


def test_every_key_of_the_model_is_documented() -> None:
    from consentkit.config import ConsentConfig

    text = (ROOT / "docs" / "configuration.md").read_text("utf-8")
    for name in ConsentConfig.model_fields:
        assert f"| `{name}` |" in text, name
