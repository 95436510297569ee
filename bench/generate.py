"""Generate a persistent forum shaped like the real Stack Exchange dumps.

Reuses bench/search.py's generator (answers per question, scores, tags with a
long tail, text lengths measured on the sample dumps of --data or
$FORUM_SAMPLE_DUMPS when given), bulk-loads it into DIR/forum.sqlite, adds
benchmark accounts with known passwords (created through the services, so
passwords are really hashed), makes sure one question has exactly 10 answers,
and builds the search index in DIR/search-index.
DIR/instance/config.py points the app at both, so a server started with
``FORUM_INSTANCE_PATH=DIR/instance`` serves this forum (bench/http_load.py).

    .venv/bin/python bench/generate.py [--questions 100000] [--dir DIR]
        [--procs 2] [--no-index] [--data DUMPS]

DIR/bench.json records what was generated (the accounts, the 10-answer question).
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sedata  # also puts the project root on sys.path
from search import Generator, Shapes, _post, dump_folders, generate
from sqlalchemy import func, select, update

from forum import search
from forum.extensions import db
from forum.models import Answer, Post, Question, Tag, User, post_tag
from forum.services import reputation, users

DEFAULT_DIR = Path("/tmp/forum-bench-100k")
ACCOUNTS = 8  # one per concurrent client of the write tests
PASSWORD = "benchmark-password"
ACCOUNT_REPUTATION = 500  # enough to vote up and down
THREAD_ANSWERS = 10


def instance_config(workdir: Path, secret: str) -> str:
    """The instance/config.py that points a server at workdir's data."""
    return (
        "# Written by bench/generate.py: serve the generated forum.\n"
        f"DATABASE_URL = {'sqlite:///' + str(workdir / 'forum.sqlite')!r}\n"
        f"SEARCH_INDEX_DIR = {str(workdir / 'search-index')!r}\n"
        f"SECRET_KEY = {secret!r}\n"
        "SEARCH_CHECK_ON_START = False  # never a 15-minute rebuild on start\n"
        "DEMO_CONTENT = False\n"
    )


def create_accounts() -> list[dict]:
    """Benchmark accounts through the user service, with reputation to vote."""
    out = []
    for i in range(1, ACCOUNTS + 1):
        name = f"bench{i}"
        user = users.register_user(name, f"{name}@example.com", PASSWORD)
        reputation.grant(user, ACCOUNT_REPUTATION - 1, "bonus")
        out.append({"id": user.id, "username": name, "password": PASSWORD})
    return out


def ten_answer_question(gen: Generator) -> int:
    """A question with exactly THREAD_ANSWERS answers (topped up if needed)."""
    qid = db.session.scalar(
        select(Question.id)
        .where(Question.answer_count == THREAD_ANSWERS, Question.closed_at.is_(None))
        .order_by(Question.id)
        .limit(1)
    )
    if qid is not None:
        return qid
    # The open question with the most answers below 10 gets the rest.
    qid, have = db.session.execute(
        select(Question.id, Question.answer_count)
        .where(Question.answer_count < THREAD_ANSWERS, Question.closed_at.is_(None))
        .order_by(Question.answer_count.desc(), Question.id)
        .limit(1)
    ).one()
    asked = db.session.scalar(select(Question.created_at).where(Question.id == qid))
    next_id = db.session.scalar(select(func.max(Post.id))) + 1
    rows = []
    for i in range(THREAD_ANSWERS - have):
        body_html, text = gen.paragraphs(gen.rng.choice(gen.shapes.answer_len))
        when = asked + timedelta(hours=i + 1)
        row = _post(
            next_id + i, "answer", int(gen.owners.one(gen.rng)), body_html, text, when
        )
        row.update(question_id=qid, score=i % 4, imported_score=i % 4)
        rows.append(row)
    db.session.execute(Post.__table__.insert(), rows)
    db.session.execute(
        update(Post.__table__)
        .where(Post.__table__.c.id == qid)
        .values(
            answer_count=THREAD_ANSWERS,
            last_activity_at=asked + timedelta(hours=THREAD_ANSWERS),
        )
    )
    db.session.commit()
    return qid


def popular_tag() -> str:
    """The tag on the most questions (the tag page the benchmark reads)."""
    return db.session.execute(
        select(Tag.name, func.count(post_tag.c.post_id).label("n"))
        .join(post_tag, post_tag.c.tag_id == Tag.id)
        .group_by(Tag.id)
        .order_by(func.count(post_tag.c.post_id).desc())
        .limit(1)
    ).one()[0]


def busiest_user() -> tuple[int, str]:
    """The generated user with the most posts (the profile the benchmark reads)."""
    return db.session.execute(
        select(User.id, User.username)
        .join(Post, Post.owner_id == User.id)
        .group_by(User.id)
        .order_by(func.count(Post.id).desc())
        .limit(1)
    ).one()


def main(argv: list[str] | None = None) -> int:
    """Generate, load, add accounts, index; print the time of each phase."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--procs", type=int, default=2, help="rebuild processes")
    sedata.add_data_option(parser, needed=False)
    parser.add_argument(
        "--no-index", action="store_true", help="skip the search index (searches fail)"
    )
    args = parser.parse_args(argv)
    sedata.check_data(parser, args.data, needed=False)
    workdir = args.dir.resolve()
    print(
        f"bench/generate.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{args.questions} questions into {workdir}, seed {args.seed}; load "
        f"average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if workdir.exists() and any(workdir.iterdir()):
        if not (workdir / "bench.json").exists():
            print(f"{workdir} is not empty and was not made by this script")
            return 1
        shutil.rmtree(workdir)  # a previous generated forum: start again
    workdir.mkdir(parents=True)
    (workdir / "instance").mkdir()
    secret = os.urandom(24).hex()
    (workdir / "instance" / "config.py").write_text(instance_config(workdir, secret))
    app = sedata.make_app(workdir, SECRET_KEY=secret)
    total = time.perf_counter()
    with app.app_context():
        started = time.perf_counter()
        shapes = Shapes.measure(dump_folders(args.data))
        gen = Generator(shapes, args.seed, args.questions)
        print(
            f"shapes from {shapes.source}: mean answers/question "
            f"{statistics.mean(shapes.answers):.2f}; {len(gen.tags.words)} tags "
            f"({time.perf_counter() - started:.1f} s)"
        )

        started = time.perf_counter()

        def loaded(n: int) -> None:
            if n % 20000 == 0 or n == args.questions:
                seconds = time.perf_counter() - started
                print(f"  loaded {n} questions ({seconds:.0f} s)", flush=True)

        counts = generate(gen, args.questions, loaded)
        size = (workdir / "forum.sqlite").stat().st_size / 2**20
        print(
            f"load: {counts['questions']} questions, {counts['answers']} "
            f"answers, {counts['comments']} comments, {counts['users']} users, "
            f"{counts['tags']} tags in {time.perf_counter() - started:.0f} s "
            f"({size:.0f} MB)"
        )

        started = time.perf_counter()
        accounts = create_accounts()
        thread = ten_answer_question(gen)
        tag = popular_tag()
        profile_id, profile_name = busiest_user()
        answers = db.session.scalar(
            select(func.count(Answer.id)).where(Answer.question_id == thread)
        )
        print(
            f"accounts: {len(accounts)} (password {PASSWORD!r}); question "
            f"{thread} has {answers} answers; popular tag {tag!r}; profile "
            f"{profile_name} ({time.perf_counter() - started:.1f} s)"
        )

        meta = {
            "questions": args.questions,
            "seed": args.seed,
            "indexed": False,
            "accounts": accounts,
            "thread_question": thread,
            "tag": tag,
            "profile": [profile_id, profile_name],
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        # Written before the long index build: the database is usable already.
        (workdir / "bench.json").write_text(json.dumps(meta, indent=1))
        if not args.no_index:
            started = time.perf_counter()
            count = search.rebuild(procs=args.procs)
            seconds = time.perf_counter() - started
            meta["indexed"] = True
            (workdir / "bench.json").write_text(json.dumps(meta, indent=1))
            print(
                f"index: {count} questions in {seconds:.0f} s "
                f"({count / seconds:.0f}/s, {args.procs} process(es))"
            )
        db.session.remove()
        db.engine.dispose()
    print(
        f"done in {time.perf_counter() - total:.0f} s: serve with "
        f"FORUM_INSTANCE_PATH={workdir / 'instance'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
