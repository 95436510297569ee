"""Security headers on every response, HTTPS behind a trusted proxy, and no
server version in any header."""

from collections.abc import Callable

from flask import Flask, current_app, request
from werkzeug import serving
from werkzeug.middleware.proxy_fix import ProxyFix

from forum.markup import image_hosts

# What the site's own pages need: every script and style is a file in static/.
_FIXED_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    None,  # img-src, built from IMAGE_HOSTS
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)

_SERVER_NAME = "forum"


def content_security_policy(app: Flask) -> str:
    """The Content-Security-Policy for every response of ``app``."""
    hosts = image_hosts(app.config.get("IMAGE_HOSTS"))
    img = " ".join(["img-src 'self' data:", *hosts])
    return "; ".join(d if d is not None else img for d in _FIXED_DIRECTIVES)


def https_expected(app: Flask, scheme: str) -> bool:
    """Whether this request reached the site over HTTPS: the (proxy-fixed)
    scheme says so, or the site is configured as HTTPS-only."""
    return scheme == "https" or app.config["PREFERRED_URL_SCHEME"] == "https"


def add_security_headers(response):
    """CSP, nosniff, referrer policy, framing and (over HTTPS) HSTS."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # proxy
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(app)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = app.config["REFERRER_POLICY"]
    headers["X-Frame-Options"] = "DENY"
    max_age = app.config["HSTS_MAX_AGE"]
    if max_age and https_expected(app, request.scheme):
        headers["Strict-Transport-Security"] = f"max-age={int(max_age)}"
    return response


class SecureCookies:
    """WSGI middleware: mark every cookie ``Secure`` on HTTPS requests.

    Runs after Flask saved the session and Flask-Login set its remember cookie,
    so every cookie the app sets is covered, whatever set it.
    """

    def __init__(self, wsgi_app: Callable, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict, start_response: Callable):
        """Call the app, adding ``Secure`` to its Set-Cookie headers over HTTPS."""
        if not https_expected(self.app, environ.get("wsgi.url_scheme", "http")):
            return self.wsgi_app(environ, start_response)

        def secure_start_response(status, headers, exc_info=None):
            headers = [
                (name, _secure_cookie(value))
                if name.lower() == "set-cookie"
                else (name, value)
                for name, value in headers
            ]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, secure_start_response)


def _secure_cookie(value: str) -> str:
    """A Set-Cookie value with the Secure attribute."""
    attributes = [part.strip().lower() for part in value.split(";")[1:]]
    return value if "secure" in attributes else f"{value}; Secure"


class QuietRequestHandler(serving.WSGIRequestHandler):
    """Werkzeug's development request handler without its version banner."""

    def version_string(self) -> str:
        """The ``Server`` header: no framework or Python version."""
        return _SERVER_NAME


def register(app: Flask) -> None:
    """Headers on every response; proxy trust and Secure cookies from config."""
    app.after_request(add_security_headers)
    app.wsgi_app = SecureCookies(app.wsgi_app, app)  # type: ignore[method-assign]  # WSGI middleware
    proxy_fix = app.config["PROXY_FIX"]
    if proxy_fix:
        # Only as many hops as the operator runs: more lets clients forge them.
        app.wsgi_app = ProxyFix(app.wsgi_app, **proxy_fix)  # type: ignore[method-assign]  # WSGI middleware
    # `flask run` and the browser tests build the handler from this name.
    serving.WSGIRequestHandler = QuietRequestHandler  # type: ignore[misc]  # no banner
