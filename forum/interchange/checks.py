"""Imported content meets the rules typed content meets.

A profile field over its length limit is truncated, a website that the
profile form would refuse (not an http(s) address, or too long) is dropped;
each is counted in the import report.
"""

from flask import current_app

from forum.interchange.report import FileStats
from forum.markup import html_to_markdown
from forum.services.users import check_website
from forum.services.validation import limit


def _cut(value: str, most: int, reason: str, stats: FileStats) -> str:
    """``value`` within ``most`` characters; a cut is counted under ``reason``."""
    if len(value) <= most:
        return value
    stats.adjusted[reason] += 1
    return value[:most].rstrip()


def profile_fields(row: dict[str, str], name: str, stats: FileStats) -> dict[str, str]:
    """A Users.xml row's display name, location, website and "about" Markdown,
    as the profile form would accept them."""
    most_name = limit("DISPLAY_NAME_MAX_LENGTH")
    most_location = limit("LOCATION_MAX_LENGTH")
    most_about = limit("ABOUT_MAX_LENGTH")
    about = html_to_markdown(row.get("AboutMe") or "")
    return {
        "display_name": _cut(
            name, most_name, f"display names cut to {most_name} characters", stats
        ),
        "location": _cut(
            (row.get("Location") or "").strip(),
            most_location,
            f"locations cut to {most_location} characters",
            stats,
        ),
        "website": _website(row.get("WebsiteUrl") or "", stats),
        "about_markdown": _cut(
            about, most_about, f"about texts cut to {most_about} characters", stats
        ),
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
