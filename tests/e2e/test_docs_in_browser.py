"""Swagger UI at /docs, opened by headless Chromium: it renders the API's operations from /openapi.json, with
its scripts served by the dev server itself (node_modules/swagger-ui-dist; this machine has no CDN)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
DOCUMENT = json.loads((Path(__file__).resolve().parents[2] / "openapi.json").read_text(encoding="utf-8"))
# operationId -> (its tag, its path): Swagger UI groups operations by tag.
OPERATIONS = {
    operation["operationId"]: (operation["tags"][0], path)
    for path, item in DOCUMENT["paths"].items()
    for operation in item.values()
}


def rendered_dom(chromium: str, url: str, profile: Path) -> str:
    """The page's DOM once its scripts ran (10 s of virtual time: no real waiting on a quiet page)."""
    command = [
        chromium,
        "--headless",
        "--no-sandbox",  # root in CI; the page is our own, from 127.0.0.1
        "--disable-gpu",
        # Decided here rather than by Debian's wrapper, whose /dev/shm size check breaks where /dev/shm is
        # mounted twice ("[: ...: unexpected operator") and then leaves the flag out.
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--dump-dom",
        "--virtual-time-budget=10000",
        url,
    ]
    # Its own process group: on a timeout, Chromium's helper processes are stopped with it.
    browser = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True
    )
    try:
        dom, _ = browser.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(browser.pid, signal.SIGKILL)
        browser.communicate()
        raise
    assert browser.returncode == 0, f"chromium exited with {browser.returncode}"
    return dom


MISSING = "Chromium is not installed (Debian package chromium): `make browser` installs it (root or sudo)"
# CI sets REQUIRE_TOOLS=1: there a missing browser fails the run instead of skipping its only browser test.
REQUIRED = os.environ.get("REQUIRE_TOOLS") == "1"


@pytest.mark.skipif(CHROMIUM is None and not REQUIRED, reason=MISSING)
def test_swagger_ui_shows_every_operation_with_its_path(dev_server: str, tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.fail(f"{MISSING}; REQUIRE_TOOLS=1 requires it")
    dom = rendered_dom(CHROMIUM, f"{dev_server}/docs", tmp_path / "profile")
    assert "Messaging API" in dom
    for operation_id, (tag, path) in OPERATIONS.items():
        assert f'id="operations-{tag}-{operation_id}"' in dom, operation_id
        assert f'data-path="{path}"' in dom, path
