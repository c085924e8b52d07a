"""Shared pytest fixtures for the aelab tests."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))  # the tiny decoders: `import tiny_decoder_torch`


@pytest.fixture
def isolated_cache():
    """An empty cache of verified MNIST arrays, so a test never depends on earlier loads."""
    from aelab import data

    data._load_split.cache_clear()
    yield
    data._load_split.cache_clear()


@pytest.fixture(autouse=True)
def _keep_env(monkeypatch):
    """Tests start without the notebook-run variables of the Makefile."""
    for name in ("AELAB_QUICK", "AELAB_DATA", "AELAB_STRICT", "AELAB_CHECK_TIMEOUT"):
        if name in os.environ:
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def lab(request):
    """A JupyterLab serving the browser-test module's ``NOTEBOOKS`` (files in tests/fixtures).

    Skipped (failed under CI=true) without Playwright and Chromium. A module that serves other
    notebooks defines its own ``lab``.
    """
    from lab_harness import FIXTURES, JupyterLab, require_browser

    require_browser()
    with JupyterLab([FIXTURES / nb for nb in request.module.NOTEBOOKS.values()]) as server:
        yield server


@pytest.fixture(scope="module")
def browser(lab):
    """Headless Debian chromium driven by Playwright, for the browser tests of one module,
    started after the module's ``lab``."""
    from playwright.sync_api import sync_playwright

    from lab_harness import launch_browser

    with sync_playwright() as p:
        b = launch_browser(p)
        try:
            yield b
        finally:
            b.close()


def verdicts_in_subprocess(script: str, variants, *, extra_env=None, timeout: int = 600) -> dict:
    """Run a checker-test ``script`` in a fresh Python (one framework per process), feeding it
    ``variants`` as JSON on stdin; return the dict it prints after "VERDICTS" on its last such line."""
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2"} | (extra_env or {})
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          input=json.dumps(variants), timeout=timeout, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("VERDICTS")][-1]
    return json.loads(line[len("VERDICTS"):])
