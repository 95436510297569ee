"""The one check for every URL a template writes into ``href`` or ``src``.

Only http(s) URLs with a host, and relative URLs, pass; whatever they came
from (a profile, an imported dump, a request header). Read as a browser reads
them: browsers drop tabs and newlines anywhere and control characters and
spaces at the ends, and treat a backslash as a slash, so ``java\\nscript:``
and ``/\\evil.example`` are refused rather than normalised.
"""

import re
from collections.abc import Set as AbstractSet

# Control characters (C0, DEL, C1): a browser drops or trims some of them,
# so a URL holding any is refused whole.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_WHITESPACE = re.compile(r"\s+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_WEB_URL = re.compile(r"https?://[^/?#\s@]*[^/?#\s:@]", re.I)
_WEB_URL_WITH_USER = re.compile(r"https?://[^/?#\s]*@", re.I)
WEB_SCHEMES = frozenset({"http", "https"})


def is_safe_url(value: str | None, schemes: AbstractSet[str] = WEB_SCHEMES) -> bool:
    """Whether ``value`` is a relative URL or uses one of ``schemes`` (an
    http(s) URL needs a host). Markdown links also allow ``mailto``."""
    if not value or _CONTROL.search(value) or "\\" in value:
        return False
    url = value.strip(" ")
    if not url or url.startswith("//"):
        return False  # empty, or protocol-relative: another host in disguise
    # Read the scheme without any whitespace: "java  script:" is refused too.
    scheme = _SCHEME.match(_WHITESPACE.sub("", url))
    if scheme is None:
        return True
    name = scheme.group(1).lower()
    if name not in schemes:
        return False
    if name in WEB_SCHEMES:
        # User info ("https://trusted@evil") is refused: it only misleads.
        return bool(_WEB_URL.match(url)) and not _WEB_URL_WITH_USER.match(url)
    return True


def safe_url(value: str | None) -> str:
    """``value`` (trimmed) when it is safe to render as a link, else ``""``.

    The Jinja filter ``safe_url``: templates link only when it is not empty.
    """
    return value.strip(" ") if value is not None and is_safe_url(value) else ""
