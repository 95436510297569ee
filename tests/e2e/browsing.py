"""What a person does in the browser, shared by the browser tests."""

from tests.factories import PASSWORD


def log_in(page, base, username):
    """Log in through the login form."""
    page.goto(f"{base}/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()
