"""Search speed on a generated forum shaped like the real Stack Exchange dumps.

Generates questions with answers and comments (counts, lengths, scores, tags
with a long tail and vocabulary taken from the sample dumps given with --data
DIR or $FORUM_SAMPLE_DUMPS, else a built-in word list), bulk-loads them into a
temporary SQLite database, builds the index, then measures: rebuild rate,
single-post latency (asked through the service, outbox to searchable), and
p50/p95 of 200 fixed searches with and without operators, of similar() over
200 new titles and of the related box of 200 questions, each query run once.

Then the same with sentence vectors, when the model is installed (`make run`
and `make test` install it): encoding 100,000
questions takes CPU-hours, so the bench stores a random unit vector for each
question's texts under their real digests (the cosines are then meaningless,
their cost is not), lets the indexer's full pass find every text already
encoded, and measures queries with the real model encoding each query, post
latency to a searchable question and to its vector in memory, and memory.

    .venv/bin/python bench/search.py [--questions N] [--procs 2] [--keep DIR]
        [--data DIR] [--model DIR | --no-vectors]

Prints figures only; removes its temporary directory unless --keep is given.
"""

import argparse
import bisect
import cProfile
import html
import io
import json
import math
import os
import pstats
import random
import re
import resource
import shutil
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sedata
from flask import current_app
from sqlalchemy import bindparam, func, select

from forum import search
from forum.extensions import db
from forum.markup import plain_text
from forum.models import Comment, Post, Question, Tag, User, post_tag
from forum.search import vectors
from forum.search.background import BACKGROUND_BATCH
from forum.search.encoder import model_files_present
from forum.search.schema import TEXT_ANALYZER
from forum.services import questions as question_service

TARGETS = {
    "rebuild": ">= 300 questions/s",
    "post": "<= 2 s",
    "search_p50": "<= 40 ms",
    "search_p95": "<= 150 ms",
    "similar_p95": "<= 50 ms",
}
ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / "instance" / "models" / "all-MiniLM-L6-v2"
QUERIES = 200
BATCH = 2000
RARE_WORDS = 200_000  # the long tail a big forum has (names, codes, typos)
RARE_SHARE = 0.04
END = datetime(2026, 11, 1)
SPAN_DAYS = 3 * 365
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'+#-]*[A-Za-z0-9]|[A-Za-z]|\d+(?:\.\d+)*")
BUILT_IN_WORDS = """
the to a i and is it of in my for on with not this that how can be do have when
what but or at from are if there an error after no does printer wifi laptop
battery charge screen update install app account password login email network
router connect connection driver windows mac phone setting settings file files
print printing scan offline online slow fast disk drive memory boot start stop
working works work fails failed failing problem issue help fix fixed reset
restart power cable usb bluetooth sound audio video camera keyboard mouse
display monitor port server sync backup restore cloud storage full space
version new old latest firmware software hardware device devices support
message code shows shown showing page web browser link download upload
""".split()


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def words_of(text: str) -> list[str]:
    """Lowercased words of a text, as the generator reuses them."""
    return [w.lower() for w in _WORD.findall(text)]


@dataclass
class Vocabulary:
    """Words with Zipf-like weights, sampled fast by cumulative weight."""

    words: list[str]
    cum: list[float]

    @classmethod
    def from_counts(cls, counts: Counter) -> "Vocabulary":
        """Weights proportional to counts."""
        words, cum, total = [], [], 0.0
        for word, n in counts.most_common():
            total += n
            words.append(word)
            cum.append(total)
        return cls(words, cum)

    @classmethod
    def zipf(cls, words: list[str], s: float = 1.0) -> "Vocabulary":
        """Weights 1/rank**s in the given order."""
        cum, total = [], 0.0
        for rank in range(1, len(words) + 1):
            total += rank**-s
            cum.append(total)
        return cls(list(words), cum)

    def sample(self, rng: random.Random, k: int) -> list[str]:
        """k words drawn with replacement."""
        return rng.choices(self.words, cum_weights=self.cum, k=k)

    def one(self, rng: random.Random) -> str:
        """One word."""
        return self.words[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


def rare_words(n: int) -> list[str]:
    """Deterministic pronounceable made-up words (the vocabulary's long tail)."""
    rng = random.Random(7)
    syllables = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]
    seen: dict[str, None] = {}
    while len(seen) < n:
        word = "".join(rng.choices(syllables, k=rng.randint(2, 4)))
        if rng.random() < 0.2:
            word += str(rng.randint(1, 999))
        seen[word] = None
    return list(seen)


@dataclass
class Shapes:
    """Distributions measured on the real dumps (or built-in defaults)."""

    source: str
    answers: list[int] = field(default_factory=list)  # answers per question
    comments: list[int] = field(default_factory=list)  # comments per post
    title_len: list[int] = field(default_factory=list)
    body_len: list[int] = field(default_factory=list)
    answer_len: list[int] = field(default_factory=list)
    comment_len: list[int] = field(default_factory=list)
    tags_per_question: list[int] = field(default_factory=list)
    question_scores: list[int] = field(default_factory=list)
    answer_scores: list[int] = field(default_factory=list)
    accepted_share: float = 0.5  # of questions with answers
    tag_names: list[str] = field(default_factory=list)  # most used first
    title_words: Vocabulary | None = None
    text_words: Vocabulary | None = None

    @classmethod
    def measure(cls, folders: list[Path]) -> "Shapes":
        """Measure the dumps present among folders; defaults if none is."""
        present = [f for f in folders if (f / "Posts.xml").exists()]
        if not present:
            return cls.built_in()
        shapes = cls("real dumps: " + ", ".join(f.name for f in present))
        title_counts: Counter = Counter()
        text_counts: Counter = Counter()
        tag_counts: Counter = Counter()
        answered = accepted = 0
        comment_counts: Counter = Counter()
        posts = 0
        for folder in present:
            for r in sedata.rows(folder / "Posts.xml"):
                kind = r.get("PostTypeId")
                if kind not in ("1", "2"):
                    continue
                posts += 1
                comment_counts[int(r.get("CommentCount") or 0)] += 1
                body = words_of(plain_text(r.get("Body") or ""))
                text_counts.update(body)
                if kind == "1":
                    title = words_of(r.get("Title") or "")
                    title_counts.update(title)
                    tags = sedata.parse_tags(r.get("Tags"))
                    tag_counts.update(tags)
                    shapes.title_len.append(max(2, len(title)))
                    shapes.body_len.append(max(5, len(body)))
                    shapes.tags_per_question.append(max(1, min(5, len(tags))))
                    shapes.question_scores.append(int(r.get("Score") or 0))
                    n_answers = int(r.get("AnswerCount") or 0)
                    shapes.answers.append(n_answers)
                    if n_answers:
                        answered += 1
                        accepted += bool(r.get("AcceptedAnswerId"))
                else:
                    shapes.answer_len.append(max(5, len(body)))
                    shapes.answer_scores.append(int(r.get("Score") or 0))
            comments = folder / "Comments.xml"
            if comments.exists():
                for r in sedata.rows(comments):
                    shapes.comment_len.append(len(words_of(r.get("Text") or "")))
        shapes.comments = [n for n, c in comment_counts.items() for _ in range(c)]
        shapes.accepted_share = accepted / max(1, answered)
        shapes.tag_names = [name for name, _ in tag_counts.most_common()]
        shapes.title_words = Vocabulary.from_counts(title_counts)
        shapes.text_words = Vocabulary.from_counts(text_counts)
        shapes.comment_len = shapes.comment_len or [20]
        return shapes

    @classmethod
    def built_in(cls) -> "Shapes":
        """Plausible defaults when no dump is present."""
        vocab = Vocabulary.zipf(BUILT_IN_WORDS)
        return cls(
            "built-in word list (no dumps found)",
            answers=[0] * 15 + [1] * 45 + [2] * 25 + [3] * 10 + [4, 5, 6, 8, 10],
            comments=[0] * 50 + [1] * 20 + [2] * 15 + [3] * 10 + [5] * 5,
            title_len=list(range(4, 16)),
            body_len=[30, 50, 70, 90, 120, 150, 200, 300, 450, 700],
            answer_len=[20, 40, 60, 80, 100, 140, 200, 300, 500],
            comment_len=[8, 12, 18, 25, 35, 50],
            tags_per_question=[1, 2, 2, 3, 3, 3, 4, 4, 5],
            question_scores=[-1, 0, 0, 0, 1, 1, 2, 3, 5, 10, 25],
            answer_scores=[-1, 0, 0, 1, 1, 2, 3, 5, 12],
            accepted_share=0.55,
            title_words=vocab,
            text_words=vocab,
        )


class Generator:
    """Questions, answers and comments drawn from the shapes."""

    def __init__(self, shapes: Shapes, seed: int, n_questions: int):
        self.shapes = shapes
        self.rng = random.Random(seed)
        self.rare = Vocabulary.zipf(rare_words(RARE_WORDS), s=1.0)
        real_tags = shapes.tag_names[:]
        wanted = max(300, n_questions // 25)
        extra = [f"topic-{i}" for i in range(max(0, wanted - len(real_tags)))]
        self.tags = Vocabulary.zipf((real_tags + extra)[:wanted], s=1.0)
        self.users = max(50, n_questions // 4)
        self.owners = Vocabulary.zipf([str(i) for i in range(1, self.users + 1)], 0.9)

    def words(self, vocab: Vocabulary, n: int) -> list[str]:
        """n words, RARE_SHARE of them from the long tail."""
        out = vocab.sample(self.rng, n)
        for _ in range(sum(1 for _ in range(n) if self.rng.random() < RARE_SHARE)):
            out[self.rng.randrange(n)] = self.rare.one(self.rng)
        return out

    def title(self) -> str:
        """A question title."""
        n = self.rng.choice(self.shapes.title_len)
        text = " ".join(self.words(self.shapes.title_words, n))
        return (text[:1].upper() + text[1:])[:140].rstrip() + "?"

    def paragraphs(self, n: int) -> tuple[str, str]:
        """(HTML, plain text) of n words in paragraphs of 20-60 words."""
        words = self.words(self.shapes.text_words, n)
        parts, start = [], 0
        while start < len(words):
            size = self.rng.randint(20, 60)
            parts.append(" ".join(words[start : start + size]))
            start += size
        parts = [p[:1].upper() + p[1:] + "." for p in parts]
        body_html = "".join(f"<p>{html.escape(p)}</p>" for p in parts)
        return body_html, " ".join(parts)

    def tag_names(self) -> list[str]:
        """1-5 distinct tags, popular ones more often."""
        n = self.rng.choice(self.shapes.tags_per_question)
        names: list[str] = []
        while len(names) < n:
            name = self.tags.one(self.rng)
            if name not in names:
                names.append(name)
        return names

    def when(self) -> datetime:
        """A creation time within the last SPAN_DAYS."""
        return END - timedelta(seconds=self.rng.random() * SPAN_DAYS * 86400)


def _post(pid: int, kind: str, owner: int, html_: str, text: str, when) -> dict:
    return {
        "id": pid,
        "type": kind,
        "owner_id": owner,
        "body_markdown": text,
        "body_html": html_,
        "score": 0,
        "imported_score": 0,
        "created_at": when,
        "last_edited_at": None,
        "last_activity_at": when,
        "deleted_at": None,
        "deleted_by_id": None,
        "deleted_reason": None,
        "title": None,
        "view_count": None,
        "answer_count": None,
        "accepted_answer_id": None,
        "accepted_by": None,
        "closed_at": None,
        "locked_at": None,
        "closed_reason": None,
        "duplicate_of_id": None,
        "question_id": None,
    }


def generate(gen: Generator, n_questions: int, progress) -> dict:
    """Insert users, tags, questions, answers and comments; return counts."""
    rng, shapes = gen.rng, gen.shapes
    db.session.execute(
        User.__table__.insert(),
        [
            {
                "id": i,
                "username": f"user{i}",
                "display_name": f"User {i}",
                "email": None,
                "password_hash": None,
                "role": "user",
                "reputation": 1,
                "about_markdown": "",
                "about_html": "",
                "location": "",
                "website": "",
                "created_at": END - timedelta(days=SPAN_DAYS + 1),
            }
            for i in range(1, gen.users + 1)
        ],
    )
    tag_ids = {name: i for i, name in enumerate(gen.tags.words, start=1)}
    db.session.execute(
        Tag.__table__.insert(),
        [
            {"id": i, "name": name, "excerpt": "", "created_at": END}
            for name, i in tag_ids.items()
        ],
    )
    counts = Counter()
    next_id = 1
    comment_id = 1
    accepted: list[dict] = []
    for start in range(0, n_questions, BATCH):
        questions, answers, comments, links = [], [], [], []
        for _ in range(min(BATCH, n_questions - start)):
            qid, next_id = next_id, next_id + 1
            asked = gen.when()
            body_html, text = gen.paragraphs(rng.choice(shapes.body_len))
            q = _post(qid, "question", int(gen.owners.one(rng)), body_html, text, asked)
            n_answers = rng.choice(shapes.answers)
            q.update(
                title=gen.title(),
                score=(score := rng.choice(shapes.question_scores)),
                imported_score=score,  # a score without votes, as imported
                view_count=rng.randint(5, 5000),
                answer_count=n_answers,
            )
            last = asked
            answer_ids = []
            for _ in range(n_answers):
                aid, next_id = next_id, next_id + 1
                when = asked + timedelta(hours=rng.expovariate(1 / 30))
                last = max(last, when)
                a_html, a_text = gen.paragraphs(rng.choice(shapes.answer_len))
                a = _post(aid, "answer", int(gen.owners.one(rng)), a_html, a_text, when)
                score = rng.choice(shapes.answer_scores)
                a.update(question_id=qid, score=score, imported_score=score)
                answers.append(a)
                answer_ids.append(aid)
            for post_id, when in [(qid, asked)] + [(a, last) for a in answer_ids]:
                for _ in range(rng.choice(shapes.comments)):
                    text = " ".join(
                        gen.words(shapes.text_words, rng.choice(shapes.comment_len))
                    )
                    comments.append(
                        {
                            "id": comment_id,
                            "post_id": post_id,
                            "owner_id": int(gen.owners.one(rng)),
                            "body_markdown": text,
                            "body_html": f"<p>{html.escape(text)}</p>",
                            "created_at": when,
                            "last_edited_at": None,
                            "deleted_at": None,
                        }
                    )
                    comment_id += 1
            q["last_activity_at"] = last
            if answer_ids and rng.random() < shapes.accepted_share:
                accepted.append({"qid": qid, "acc": rng.choice(answer_ids)})
            if rng.random() < 0.03:
                q["closed_at"] = last + timedelta(days=1)
                q["closed_reason"] = "off-topic"
            questions.append(q)
            links += [{"post_id": qid, "tag_id": tag_ids[n]} for n in gen.tag_names()]
        db.session.execute(Post.__table__.insert(), questions)
        if answers:
            db.session.execute(Post.__table__.insert(), answers)
        if comments:
            db.session.execute(Comment.__table__.insert(), comments)
        db.session.execute(post_tag.insert(), links)
        counts.update(
            questions=len(questions), answers=len(answers), comments=len(comments)
        )
        progress(counts["questions"])
    post = Post.__table__
    if accepted:
        db.session.execute(
            post.update()
            .where(post.c.id == bindparam("qid"))
            .values(accepted_answer_id=bindparam("acc"), accepted_by="asker"),
            accepted,
        )
    db.session.commit()
    sedata.analyze()
    counts["accepted"] = len(accepted)
    counts["users"] = gen.users
    counts["tags"] = len(tag_ids)
    return counts


def content_words(title: str) -> list[str]:
    """The words of a title that survive the analyzer (not stop words)."""
    return [w for w in title.rstrip("?").lower().split() if list(TEXT_ANALYZER(w))]


def make_queries(seed: int, users: int) -> tuple[list[str], list[str], list[str]]:
    """200 fixed searches (half with operators) and 200 new titles for similar."""
    rng = random.Random(seed)
    titles = db.session.scalars(
        select(Question.title).order_by(Question.id).limit(20000)
    ).all()
    tags = db.session.scalars(select(Tag.name).order_by(Tag.id).limit(200)).all()

    def some_words(n: int) -> list[str]:
        while True:
            words = content_words(rng.choice(titles))
            if len(words) >= n:
                start = rng.randrange(len(words) - n + 1)
                return words[start : start + n]

    plain = [" ".join(some_words(n)) for n in [1] * 25 + [2] * 35 + [3] * 25 + [4] * 15]
    templates = [
        lambda: f"{' '.join(some_words(2))} [{rng.choice(tags)}]",
        lambda: '"' + " ".join(some_words(2)) + '"',
        lambda: "{} {} -{}".format(*some_words(3)),
        lambda: "{} OR {}".format(*some_words(2)),
        lambda: f"{some_words(1)[0]} is:solved",
        lambda: f"{' '.join(some_words(2))} score:3..",
        lambda: f"[{rng.choice(tags)}] answers:0",
        lambda: f"user:user{rng.randint(1, users)} {some_words(1)[0]}",
        lambda: f"{some_words(1)[0]} created:2025-01..2025-06",
        lambda: f"is:answer {' '.join(some_words(2))}",
    ]
    operators = [templates[i % len(templates)]() for i in range(QUERIES // 2)]
    gen_rng = random.Random(seed + 1)
    return plain, operators, [t for t in _new_titles(gen_rng, titles)]


def _new_titles(rng: random.Random, titles: list[str]) -> list[str]:
    """Titles a user might type: words of two existing titles mixed."""
    out = []
    while len(out) < QUERIES:
        a, b = content_words(rng.choice(titles)), content_words(rng.choice(titles))
        words = (
            a[: max(1, len(a) // 2)]
            + b[len(b) // 2 :]
            + ["how", "to"][: rng.randint(0, 2)]
        )
        rng.shuffle(words)
        out.append(" ".join(words).capitalize() + "?")
    return out


def timed(fn, items) -> list[float]:
    """Milliseconds of fn(item) per item, each run once."""
    times = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    return times


def post_latency(runs: int, with_vectors: bool = False) -> list[tuple[float, ...]]:
    """Per new question: (seconds from commit to searchable, seconds in drain),
    and with vectors (seconds to its vector in this process's memory). The
    loop is the indexer thread's: drain, then one small batch of encoding."""
    out: list[tuple[float, ...]] = []
    for i in range(runs):
        author = db.session.get(User, 1)
        token = f"zqbench{i}x{random.randrange(10**6)}"
        question = question_service.ask_question(
            author,
            f"Benchmark question {token} about a printer that stays offline",
            # A new body each time: the same body twice is refused as a repeat.
            f"The printer shows offline after every restart ({token}) although "
            "the network works. " * 2,
            "printer",
        )
        qid = question.id
        started = time.perf_counter()
        drained = 0.0
        searchable = in_memory = None
        while searchable is None or (with_vectors and in_memory is None):
            t = time.perf_counter()
            search.drain()
            drained += time.perf_counter() - t
            if searchable is None and search.search(token).total:
                searchable = time.perf_counter() - started
            if with_vectors and in_memory is None:
                vectors.sync(BACKGROUND_BATCH)
                vectors.refresh()
                held = vectors.space()
                if held is not None and qid in held.slot:
                    in_memory = time.perf_counter() - started
        row: tuple[float, ...] = (searchable, drained)
        out.append(row + ((in_memory or 0.0),) if with_vectors else row)
        db.session.remove()
    return out


def seed_vectors(seed: int) -> int:
    """Store a random unit vector under the real digest of each question's two
    texts, as if the model had encoded them; returns how many questions."""
    model = vectors.encoder()
    assert model is not None
    rng = np.random.default_rng(seed)
    vstore = vectors.store()
    done = last = 0
    with vstore.connect() as con:
        while True:
            rows = db.session.execute(
                select(Question.id, Question.title, Question.body_html)
                .where(Question.id > last)
                .order_by(Question.id)
                .limit(5000)
            ).all()
            if not rows:
                return done
            digests = []
            for _, title, body_html in rows:
                for text in vectors.texts_of(title, body_html):
                    digests.append(vectors.digest(model.name, text))
            vecs = rng.standard_normal((len(digests), model.dimensions))
            vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(
                np.float32
            )
            con.execute("BEGIN")
            con.executemany(
                "INSERT OR IGNORE INTO encoded (digest, vector) VALUES (?, ?)",
                [(d, v.tobytes()) for d, v in zip(digests, vecs, strict=True)],
            )
            con.execute("COMMIT")
            done += len(rows)
            last = rows[-1][0]
            db.session.remove()


def profile(fn, items, top: int = 18) -> str:
    """cProfile of fn over items: the top functions by cumulative time."""
    prof = cProfile.Profile()
    prof.enable()
    for item in items:
        fn(item)
        db.session.remove()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Generate, index and measure; print the figures beside the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--procs", type=int, default=1, help="rebuild processes")
    parser.add_argument("--seed", type=int, default=20261124)
    sedata.add_data_option(parser, needed=False)
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the corpus in --keep DIR"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print where the queries spend time"
    )
    parser.add_argument(
        "--model", type=Path, default=MODEL_DIR, help="the sentence model's folder"
    )
    parser.add_argument("--no-vectors", action="store_true", help="measure BM25 alone")
    args = parser.parse_args(argv)
    sedata.check_data(parser, args.data, needed=False)
    if not args.no_vectors and not model_files_present(args.model):
        print(f"no sentence model in {args.model}: measuring BM25 alone")
        args.no_vectors = True
    now = datetime.now(UTC)
    print(
        f"bench/search.py, {now:%Y-%m-%d %H:%M} UTC, Python "
        f"{sys.version.split()[0]}, {args.questions} questions, seed "
        f"{args.seed}, rebuild procs {args.procs}"
    )
    print(
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on "
        f"{os.cpu_count()} CPUs (other work skews timings)"
    )
    workdir = args.keep or sedata.temp_dir("forum-search-bench-")
    workdir.mkdir(parents=True, exist_ok=True)
    meta_path = workdir / "bench.json"
    meta = {"questions": args.questions, "seed": args.seed}
    reuse = args.reuse and meta_path.exists()
    if reuse and json.loads(meta_path.read_text()) != meta:
        print(
            f"{workdir} holds another corpus ({meta_path.read_text()}); use "
            "another --keep DIR"
        )
        return 1
    try:
        # Vectors join after the words-only figures (the rebuild encodes nothing).
        app = sedata.make_app(
            workdir,
            SEARCH_INDEXING="manual",
            SEARCH_EMBEDDINGS=False,
            SEARCH_MODEL_DIR=str(args.model),
            RELATED_CACHE_SECONDS=0,
        )
        with app.app_context():
            if reuse:
                print(f"reusing the database and index in {workdir}")
                users = db.session.scalar(select(func.count(User.id)))
            else:
                users = build(args, workdir)
                meta_path.write_text(json.dumps(meta))
            queries = make_queries(args.seed, users)
            measure(args, *queries)
            if not args.no_vectors:
                app.config["SEARCH_EMBEDDINGS"] = True
                measure_vectors(args, *queries)
            db.session.remove()
            db.engine.dispose()
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def dump_folders(data: Path | None) -> list[Path]:
    """The sample dump folders to measure shapes on (none without --data)."""
    return [data / site for site in sedata.SITES] if data else []


def build(args, workdir: Path) -> int:
    """Generate and load the corpus, rebuild the index; print the figures."""
    started = time.perf_counter()
    shapes = Shapes.measure(dump_folders(args.data))
    gen = Generator(shapes, args.seed, args.questions)
    print(
        f"shapes from {shapes.source}: median answers/question "
        f"{statistics.median(shapes.answers)}, mean "
        f"{statistics.mean(shapes.answers):.2f}; median words title "
        f"{statistics.median(shapes.title_len)}, body "
        f"{statistics.median(shapes.body_len)}, answer "
        f"{statistics.median(shapes.answer_len)}; {len(gen.tags.words)} tags; "
        f"accepted {shapes.accepted_share:.0%} of answered"
    )

    def loaded(n: int) -> None:
        if n % 20000 == 0 or n == args.questions:
            print(
                f"  generated and loaded {n} questions "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )

    counts = generate(gen, args.questions, loaded)
    load_s = time.perf_counter() - started
    size = (workdir / "forum.sqlite").stat().st_size / 2**20
    print(
        f"loaded {counts['questions']} questions, {counts['answers']} answers, "
        f"{counts['comments']} comments, {counts['users']} users, "
        f"{counts['tags']} tags in {load_s:.0f} s ({size:.0f} MB)"
    )
    done = [0, time.perf_counter()]

    def indexed(n: int) -> None:
        done[0] += n
        if done[0] % 20000 < n:
            rate = done[0] / (time.perf_counter() - started)
            print(f"  indexed {done[0]} ({rate:.0f}/s)", flush=True)

    started = time.perf_counter()
    count = search.rebuild(progress=indexed, procs=args.procs)
    seconds = time.perf_counter() - started
    index_mb = (
        sum(
            p.stat().st_size
            for p in (workdir / "search-index").rglob("*")
            if p.is_file()
        )
        / 2**20
    )
    print(
        f"rebuild: {count} questions in {seconds:.0f} s = "
        f"{count / seconds:.0f} questions/s with {args.procs} process(es) "
        f"(index {index_mb:.0f} MB)   target {TARGETS['rebuild']}"
    )
    return counts["users"]


def measure(args, plain, operators, titles) -> None:
    """Post latency, searches, similar() and related(); print the figures."""
    started = time.perf_counter()
    search.search("zzzwarmupzzz")  # opens the searcher once, as a server would
    opened = (time.perf_counter() - started) * 1000
    print(f"first search (opens the index): {opened:.0f} ms")
    print_posts(post_latency(5))
    search.search("zzzwarmupzzz")  # reopen after the posts changed the index
    print_rows("words alone (BM25)", query_rows(args, plain, operators, titles))
    if args.profile:
        print_profiles(plain, operators, titles)


def measure_vectors(args, plain, operators, titles) -> None:
    """The same with sentence vectors: seed them, let the indexer's pass find
    them, then measure queries, query encoding, post latency and memory."""
    model = vectors.encoder()
    assert model is not None
    print(f"\nwith sentence vectors ({model.name}, {model.dimensions} dimensions)")
    started = time.perf_counter()
    seeded = seed_vectors(args.seed)
    print(
        f"seeded random unit vectors for {seeded} questions' texts in "
        f"{time.perf_counter() - started:.0f} s (stand-ins: the model would take "
        "CPU-hours; bench/encoder.py measures encoding)"
    )
    started = time.perf_counter()
    passed = vectors.sync_until_done(math.inf)
    seconds = time.perf_counter() - started
    status = vectors.store().status()
    print(
        f"indexer's full pass: {passed} questions in {seconds:.0f} s = "
        f"{passed / max(seconds, 1e-9):.0f}/s, {status['encoded']} texts "
        "encoded (every text was stored already: a rebuild encodes nothing)"
    )
    held = vectors.current()
    assert held is not None, "the vectors should be complete"
    started = time.perf_counter()
    vectors.Space(model.dimensions, held.weights).refresh(vectors.store())
    print(
        f"a new process reads the vectors into memory: "
        f"{(time.perf_counter() - started) * 1000:.0f} ms, {held.size} rows, "
        f"{held.mixed.nbytes / 2**20:.0f} MB of matrix"
    )
    encode_ms = timed(lambda t: model.encode([t]), titles)
    print(
        f"encoding one query (a new title) with the model: p50 "
        f"{percentile(encode_ms, 50):.1f} ms, p95 {percentile(encode_ms, 95):.1f} "
        f"ms, max {max(encode_ms):.1f} ms (each title once)"
    )
    print_posts(post_latency(5, with_vectors=True))
    search.search("zzzwarmupzzz")
    alone, mixed = paired_rows(args, current_app, plain, operators, titles)
    print_rows("again on words alone, paired with the next table", alone)
    print_rows("with sentence vectors (similar() encodes each new title)", mixed)
    if args.profile:
        print_profiles(plain, operators, titles)


def print_profiles(plain, operators, titles) -> None:
    """Where the searches and similar() spend their time."""
    print(profile(search.search, plain + operators))
    print(profile(lambda t: search.similar(t), titles))


def print_posts(latencies: list[tuple[float, ...]]) -> None:
    """The post latency line(s)."""
    secs = sorted(row[0] for row in latencies)
    print(
        f"new post searchable: median {statistics.median(secs):.2f} s, max "
        f"{secs[-1]:.2f} s over {len(secs)} posts (drain "
        + ", ".join(f"{row[1]:.2f}" for row in latencies)
        + f" s)   target {TARGETS['post']}"
    )
    if latencies and len(latencies[0]) > 2:
        held = sorted(row[2] for row in latencies)
        print(
            f"new post's vectors in memory: median {statistics.median(held):.2f} s, "
            f"max {held[-1]:.2f} s (encoded by the indexer, not the request)"
        )


def query_specs(args, plain, operators, titles) -> list[tuple[str, Callable, list]]:
    """(label, function, items) of the searches, similar() and related()."""
    ids = db.session.scalars(
        select(Question.id).where(Question.deleted_at.is_(None))
    ).all()
    picked = random.Random(args.seed + 2).sample(ids, min(QUERIES, len(ids)))

    def related(qid: int) -> None:
        search.related(db.session.get_one(Question, qid))

    return [
        ("search, plain words", search.search, plain),
        ("search, with operators", search.search, operators),
        ("similar(title)", lambda t: search.similar(t), titles),
        ("related(question)", related, picked),
    ]


def with_all_searches(rows: list[tuple[str, list[float]]]) -> list:
    """The rows with "search, all 200" (both kinds of search) after them."""
    return rows[:2] + [("search, all 200", rows[0][1] + rows[1][1])] + rows[2:]


def query_rows(args, plain, operators, titles) -> list[tuple[str, list[float]]]:
    """Timings of the searches, similar() and related()."""
    specs = query_specs(args, plain, operators, titles)
    return with_all_searches([(label, timed(fn, items)) for label, fn, items in specs])


def paired_rows(args, app, plain, operators, titles) -> tuple[list, list]:
    """The same queries on words alone and with the vectors, each item both
    ways in turn (the first of a pair alternates: it warms what the second
    reads), so the two columns compare like with like."""
    alone: list[tuple[str, list[float]]] = []
    mixed: list[tuple[str, list[float]]] = []
    for label, fn, items in query_specs(args, plain, operators, titles):
        off: list[float] = []
        on: list[float] = []
        for n, item in enumerate(items):
            for enabled in (False, True) if n % 2 == 0 else (True, False):
                app.config["SEARCH_EMBEDDINGS"] = enabled
                started = time.perf_counter()
                fn(item)
                (on if enabled else off).append((time.perf_counter() - started) * 1000)
                db.session.remove()
        app.config["SEARCH_EMBEDDINGS"] = True
        alone.append((label, off))
        mixed.append((label, on))
    return with_all_searches(alone), with_all_searches(mixed)


def print_rows(heading: str, rows: list[tuple[str, list[float]]]) -> None:
    """A table of p50/p95/max per row, beside the targets."""
    print(
        f"{heading}\n{'queries (each run once)':28} {'n':>4} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'max ms':>8}   target"
    )
    for label, times in rows:
        target = ""
        if label == "search, all 200":
            target = f"p50 {TARGETS['search_p50']}, p95 {TARGETS['search_p95']}"
        elif label.startswith("similar"):
            target = f"p95 {TARGETS['similar_p95']}"
        print(
            f"{label:28} {len(times):>4} {percentile(times, 50):8.1f} "
            f"{percentile(times, 95):8.1f} {max(times):8.1f}   {target}"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak memory of this process: {rss:.0f} MB; load average now "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    sys.exit(main())
