"""Browser tests: the app served on 127.0.0.1 in a thread, Debian's chromium.

Skipped with a visible reason when /usr/bin/chromium is missing, unless
FORUM_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("FORUM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _browser_missing_reason() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return None


@pytest.fixture
def live_server(app):
    """Serve ``app`` on 127.0.0.1 (a free port) for the test's duration."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def browser():
    """A headless Debian chromium driven by Playwright, closed after the test."""
    reason = _browser_missing_reason()
    if reason:
        if os.environ.get("FORUM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser):
    """A fresh browser page that records dialogs (an alert means a script ran)
    and the Content-Security-Policy violations chromium reports.

    Dialogs are dismissed; a test that means to confirm sets
    ``page.accept_dialogs = True``. Every test ends with no CSP violation: the
    policy blocks inline script and style, so one means a page needs them.
    """
    context = browser.new_context()
    tab = context.new_page()
    tab.dialogs = []
    tab.accept_dialogs = False
    tab.csp_violations = []

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            tab.csp_violations.append(message.text)

    tab.on("console", on_console)

    def on_dialog(dialog):
        tab.dialogs.append(dialog.message)
        if tab.accept_dialogs:
            dialog.accept()
        else:
            dialog.dismiss()

    tab.on("dialog", on_dialog)
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    assert tab.csp_violations == []
