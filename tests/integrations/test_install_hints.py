"""Each adapter, imported without its framework, says which package to install."""

from __future__ import annotations

import importlib
import sys

import pytest


@pytest.mark.parametrize("framework", ["django", "flask", "fastapi"])
def test_missing_framework_gives_an_install_hint(framework: str, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = f"consentkit_{framework}"
    for name in [m for m in sys.modules if m == adapter or m.startswith(adapter + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, framework, None)
    with pytest.raises(ImportError, match=rf"pip install consentkit-{framework}") as info:
        importlib.import_module(adapter)
    assert info.value.__cause__ is None and info.value.__suppress_context__
