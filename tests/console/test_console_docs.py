"""docs/console.md's mounting example runs as written: the site answers, and the console below
/console keeps its links and its cookie there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = """
import json
from starlette.testclient import TestClient
import site_module
c = TestClient(site_module.site, client=("127.0.0.1", 1), follow_redirects=False)
r = c.get("/console/")
print(json.dumps([c.get("/").text, r.status_code, r.headers["location"], r.headers["content-security-policy"]]))
"""


def test_the_mounting_example_serves_the_site_and_the_console_below_it(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "console.md").read_text("utf-8")
    start = text.index("```python\n", text.index("<!-- tested: console-mount")) + len("```python\n")
    (tmp_path / "site_module.py").write_text(text[start:text.index("```", start)], "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSENTKIT_")}
    run = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env={**env, "CONSENTKIT_SECRET": "docs-secret-" + "s" * 40})
    assert run.returncode == 0, run.stderr
    home, status, location, csp = json.loads(run.stdout)
    assert home == "the site" and status == 303 and location == "/console/login"
    assert csp.startswith("default-src 'none'")
