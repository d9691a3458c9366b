"""The web console in a real headless Chromium, for the ``test_workspace_console_*`` modules.

Debian's ``/usr/bin/chromium`` driven by Playwright (no browser is ever downloaded); the tests
fail with a clear message when either is missing, never skip. Test modules import the fixtures
(``*_fixture`` functions registered under their short names ``playwright`` and ``browser``,
one of each per module) and :class:`Console`, one agent's tab on the console.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pytest

if TYPE_CHECKING:
    from tests.workspace.test_workspace_support import WorkspaceStack

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module", name="playwright")
def playwright_fixture() -> Iterator[Any]:
    """Playwright driving Debian's Chromium; fails (never skips) when either is missing."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser tests need Debian's package "
            "(apt-get install -y chromium; .ci/run does it). No browser is downloaded.",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "playwright is not installed: run 'make install' (requirements.lock).", pytrace=False
        )
    with sync_playwright() as p:
        yield p


def launch(playwright: Any) -> Any:
    """A new headless Chromium (the caller closes it)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)


@pytest.fixture(scope="module", name="browser")
def browser_fixture(playwright: Any) -> Iterator[Any]:
    """One browser for the module's tests (each :class:`Console` is its own context)."""
    b = launch(playwright)
    yield b
    b.close()


class Console:
    """One agent's browser tab on the console; page errors fail the test."""

    def __init__(self, browser: Any, stack: WorkspaceStack) -> None:
        self.context = browser.new_context(viewport={"width": 1366, "height": 768})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.url = stack.url

    def sign_in(self, token: str, name: str) -> None:
        self.page.goto(self.url + "/")
        assert self.page.url.endswith("/login")
        self.page.fill("#login-token", token)
        self.page.click("#login-submit")
        self.page.wait_for_url(self.url + "/")
        self.page.wait_for_selector(f"#me:has-text('{name}')")
        self.page.wait_for_selector("#live.on")  # the live stream is open

    def row(self, ticket_id: str) -> Any:
        return self.page.locator(f'#queue li[data-id="{ticket_id}"]')

    def text(self, selector: str) -> str:
        return str(self.page.locator(selector).inner_text())

    def close(self) -> None:
        assert not self.errors, self.errors
        self.context.close()
