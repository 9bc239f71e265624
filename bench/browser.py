"""Headless Chromium for the docs site's tests and benchmark: Debian's `chromium` driven by Playwright.

These machines cannot download Playwright's own browsers (`playwright install`), so the system
Chromium is launched with the flags that keep it off the network: no background connections,
no component updates, no sync, a fresh profile every time.

    with open_browser() as browser:
        watch = Watch(browser.new_page())
        seconds = watch.open("file:///…/index.html")
        assert not watch.problems
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync")
VIEWPORT = {"width": 1280, "height": 800}


def chromium_path() -> str | None:
    """`STRATA_CHROMIUM`, else `chromium` on PATH (Debian: /usr/bin/chromium)."""
    explicit = os.environ.get("STRATA_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def unavailable() -> str | None:
    """Why the browser cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; never `playwright install`)"
    if chromium_path() is None:
        return "no chromium on PATH (Debian: apt-get install -y chromium)"
    return None


@contextmanager
def open_browser(viewport: dict[str, int] | None = None) -> Iterator[Any]:
    """A Chromium context with a fresh profile, removed afterwards."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="strata-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=chromium_path(), args=list(CHROMIUM_FLAGS), headless=True,
                viewport=viewport or VIEWPORT)
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class Watch:
    """A page that records console errors and warnings, uncaught exceptions and failed requests."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("requestfailed", lambda request: self.problems.append(f"request failed: {request.url}"))

    def open(self, url: str, ready: str | None = None, attribute: str | None = None) -> float:
        """Seconds from navigation start until the load event, or until `ready` (a selector) appears
        and its `attribute` (a time in ms the page set when it was ready) is read, whichever is later."""
        self.page.goto(url)
        if ready:
            self.page.wait_for_selector(ready, state="attached")
        timing = self.page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd || n.duration; }")
        if ready and attribute:
            marked = self.page.get_attribute(ready, attribute)
            timing = max(timing, float(marked or 0))
        return timing / 1000
