"""Imported content meets the rules typed content meets.

A profile field, title, body or comment over the length limit of its form is
cut to it (so rendering it costs what rendering typed text costs), a website
that the profile form would refuse (not an http(s) address, or too long) is
dropped; each is counted in the import report. HTML nested deeper than
IMPORT_MAX_HTML_DEPTH is refused (the whole import stops), as the HTML
converters would recurse or take quadratic time on it.
"""

from flask import current_app

from forum.interchange import sedump
from forum.interchange.report import FileStats
from forum.markup import html_to_markdown
from forum.services.users import check_website
from forum.services.validation import limit


def check_html(html: str, file: str, row: dict[str, str], attr: str) -> str:
    """``html`` if it nests no deeper than the limit; raises DumpError otherwise."""
    depth = current_app.config["IMPORT_MAX_HTML_DEPTH"]
    if sedump.html_too_deep(html, depth):
        raise sedump.DumpError(
            f"{file}: the row with Id {row.get('Id', '?')[:20]!r} has a {attr} "
            f"nesting HTML elements more than {depth} deep (IMPORT_MAX_HTML_DEPTH)."
        )
    return html


def markdown_of(html: str, file: str, row: dict[str, str], attr: str) -> str:
    """An imported HTML field as Markdown, once ``check_html`` accepts it."""
    return html_to_markdown(check_html(html, file, row, attr))


def cut(value: str, most: int, what: str, stats: FileStats) -> str:
    """``value`` within ``most`` characters; a cut is counted as "``what``
    cut to ``most`` characters"."""
    if len(value) <= most:
        return value
    stats.adjusted[f"{what} cut to {most} characters"] += 1
    return value[:most].rstrip()


def profile_fields(row: dict[str, str], name: str, stats: FileStats) -> dict[str, str]:
    """A Users.xml row's display name, location, website and "about" Markdown,
    as the profile form would accept them."""
    most_name = limit("DISPLAY_NAME_MAX_LENGTH")
    most_location = limit("LOCATION_MAX_LENGTH")
    most_about = limit("ABOUT_MAX_LENGTH")
    about = markdown_of(row.get("AboutMe") or "", "Users.xml", row, "AboutMe")
    return {
        "display_name": cut(name, most_name, "display names", stats),
        "location": cut(
            (row.get("Location") or "").strip(), most_location, "locations", stats
        ),
        "website": _website(row.get("WebsiteUrl") or "", stats),
        "about_markdown": cut(about, most_about, "about texts", stats),
    }


def _website(url: str, stats: FileStats) -> str:
    """The website if the profile form accepts it; otherwise "" (counted)."""
    errors: dict[str, str] = {}
    site = check_website(errors, url)
    if not errors:
        return site
    most = current_app.config["WEBSITE_MAX_LENGTH"]
    if len(site) > most:
        stats.adjusted[f"websites over {most} characters dropped"] += 1
    else:
        stats.adjusted["websites dropped (not an http(s) address)"] += 1
    return ""
