"""``flask --app forum <command>``: users, demo content and maintenance."""

import sys
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from forum import demo
from forum.models import ROLE_STAFF, ROLE_USER
from forum.services import maintenance, reputation, users
from forum.services.errors import ServiceError

users_cli = AppGroup("users", help="Create accounts and change roles.")
demo_cli = AppGroup("demo", help="Demo content for a first look at the site.")
badges_cli = AppGroup("badges", help="Award badges earned before the rules ran.")
reputation_cli = AppGroup(
    "reputation", help="Check or rebuild the cached reputation from the ledger."
)


def fail(error: ServiceError) -> NoReturn:
    """Print what a service rejected (per field when it says) and exit with 1."""
    lines = [f"{field}: {msg}" for field, msg in error.fields.items()]
    for line in lines or [error.message]:
        click.secho(f"Error: {line}", fg="red", err=True)
    sys.exit(1)


def read_new_password() -> str:
    """Ask for a password twice; from a pipe, read it and its confirmation as lines."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    first = sys.stdin.readline().rstrip("\r\n")
    second = sys.stdin.readline().rstrip("\r\n")
    if first != second:
        click.secho("Error: the two passwords do not match.", fg="red", err=True)
        sys.exit(1)
    return first


@users_cli.command("create")
@click.argument("username")
@click.option("--email", required=True, help="The account's email address.")
@click.option("--staff", is_flag=True, help="Give the account the staff role.")
def create_user(username: str, email: str, staff: bool) -> None:
    """Create an account; the password is asked for twice (or read from stdin)."""
    password = read_new_password()
    try:
        user = users.register_user(
            username, email, password, role=ROLE_STAFF if staff else ROLE_USER
        )
    except ServiceError as error:
        fail(error)
    click.echo(f"Created {user.role} {user.username!r} (id {user.id}).")


@users_cli.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice([ROLE_STAFF, ROLE_USER]))
def set_role(username: str, role: str) -> None:
    """Make USERNAME staff or an ordinary user."""
    try:
        user = users.set_role(username, role)
    except ServiceError as error:
        fail(error)
    click.echo(f"{user.username!r} is now {user.role}.")


@demo_cli.command("load")
@click.option(
    "--if-enabled",
    is_flag=True,
    help="Do nothing unless the DEMO_CONTENT setting is true (used by make run).",
)
def load_demo_command(if_enabled: bool) -> None:
    """Load the demo users and threads into a database that has no users."""
    if if_enabled and not current_app.config.get("DEMO_CONTENT"):
        click.echo("Demo content is turned off (DEMO_CONTENT = False).")
        return
    summary = demo.load_demo()
    if summary is None:
        click.echo("The database already has users; demo content not loaded.")
    else:
        click.echo(
            "Loaded demo content: "
            + ", ".join(f"{count} {name}" for name, count in summary.items())
            + "."
        )
    logins = demo.available_logins()
    if logins:
        click.echo("Demo logins:")
        for username, password, role in logins:
            click.echo(f"  {username:<8} password {password:<18} ({role})")


@click.command("recount")
@click.option("--check", is_flag=True, help="Only report differences (exit 1 if any).")
def recount(check: bool) -> None:
    """Recompute each question's cached answer count from its live answers."""
    drift = maintenance.answer_count_drift()
    for qid, cached, actual in drift:
        click.echo(f"question {qid}: answer_count is {cached}, live answers {actual}")
    if check:
        if drift:
            click.echo(f"{len(drift)} question(s) have a wrong answer count.")
            sys.exit(1)
        click.echo("All answer counts match.")
        return
    maintenance.fix_answer_counts()
    click.echo(f"Fixed {len(drift)} question(s).")


@reputation_cli.command("verify")
def verify_reputation() -> None:
    """List users whose cached reputation differs from the ledger (exit 1 if any)."""
    drift = reputation.drift()
    for _uid, username, cached, ledger in drift:
        click.echo(f"{username}: cached {cached}, ledger {ledger}")
    if drift:
        click.echo(f"{len(drift)} user(s) differ from the ledger.")
        sys.exit(1)
    click.echo("Every user's reputation matches the ledger.")


@reputation_cli.command("rebuild")
def rebuild_reputation() -> None:
    """Recompute every user's cached reputation from the ledger."""
    changed = reputation.rebuild_caches()
    click.echo(f"Rebuilt reputation from the ledger: {changed} user(s) changed.")


@badges_cli.command("award")
def award_badges() -> None:
    """Check every badge rule for every user; award what is new (idempotent)."""
    from forum.services import badge_rules, badges

    counts = badges.award_all()
    for badge in badge_rules.BADGES:
        if counts[badge.key]:
            click.echo(f"{badge.name}: {counts[badge.key]}")
    total = sum(counts.values())
    click.echo(f"Awarded {total} new badge{'' if total == 1 else 's'}.")


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(badges_cli)
    app.cli.add_command(recount)
    app.cli.add_command(reputation_cli)
