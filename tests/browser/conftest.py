"""A real headless Chromium for the report tests: Debian's browser, driven by Playwright.

The browser is the system one (``/usr/bin/chromium``, installed by the
README's set-up through ``scripts/install-system-deps.sh``); Playwright's own
browser download is never used. Without Chromium these tests fail and say
how to install it: a report nobody has seen render is not tested.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parents[1]
REPO = TESTS_DIR.parent
ARTIFACTS = REPO / "test-artifacts"
if str(TESTS_DIR) not in sys.path:  # the synthetic class lives in tests/test_report_samples.py
    sys.path.insert(0, str(TESTS_DIR))

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(
            "Chromium is not installed, so the reports cannot be rendered in a browser. "
            "Install Debian's package: `sudo apt-get install chromium` (or run "
            "`sh scripts/install-system-deps.sh`, which `make test` does), then rerun.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[test]'", pytrace=False)
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
