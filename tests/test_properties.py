"""Property test: random sequences of votes, accepts and deletions keep the ledger
consistent after every single step.

Each example runs in an app of its own (the ``app`` fixture is made once per
test, not per example) on an empty database, with a fixed cast: a question,
three answers (one by the asker), four users with enough reputation to vote
both ways, and one staff member.
"""

import tempfile
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, Question, ReputationEvent, User, Vote
from forum.services import maintenance, posts, voting
from forum.services.errors import ServiceError
from tests.conftest import make_app
from tests.factories import make_answer, make_question, make_user
from tests.test_reputation import assert_consistent

# Users 0-3 vote both ways (user 0 asks); user 4 is staff.
ASKER, STAFF = 0, 4
USERS = range(5)
# Post 0 is the question; answers 1 and 2 are by users 1 and 2, answer 3 by
# the asker (accepting it earns nothing).
POSTS = range(4)
ANSWERS = (1, 2, 3)

# Indexes are resolved against the state when the action runs (see ``apply``),
# so most actions are meaningful: a voter is someone other than the owner
# (index 4: the owner, refused), deleting picks among live posts and undeleting
# among deleted ones; "other" deleters and user 1 accepting are refused.
index = st.integers(0, 4)
VOTE = st.tuples(st.just("vote"), index, st.sampled_from(POSTS),
                 st.sampled_from((1, -1, 0)))  # fmt: skip
ACTION = st.one_of(
    VOTE,
    VOTE,
    VOTE,
    st.tuples(
        st.just("accept"),
        st.sampled_from((ASKER, ASKER, STAFF, 1)),
        st.one_of(st.none(), st.sampled_from(ANSWERS)),
    ),
    st.tuples(
        st.just("delete"),
        st.sampled_from(("owner", "staff", "other")),
        index,
        st.sampled_from(("", "spam", "offensive", "obsolete")),
    ),
    st.tuples(st.just("undelete"), st.sampled_from(("owner", "staff")), index),
)
# Who owns each post (indexes into the users).
OWNERS = (ASKER, 1, 2, ASKER)


def wipe_database() -> None:
    """Empty every table (DELETE: on a handful of rows much faster than TRUNCATE)."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@contextmanager
def fresh_app():
    """An app of its own for one example: a new instance folder and search index,
    and an empty database (a new SQLite file, or the shared PostgreSQL emptied)."""
    with tempfile.TemporaryDirectory(prefix="forum-prop-") as tmp:
        app = make_app(Path(tmp))
        with app.app_context():
            try:
                wipe_database()
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()


def build_cast() -> tuple[list[int], list[int]]:
    """Create the users and posts; return their ids (index = role above)."""
    people = [make_user(reputation=300) for _ in range(4)]
    people.append(make_user(staff=True))
    question = make_question(people[ASKER])
    answers = [
        make_answer(question, people[1]),
        make_answer(question, people[2]),
        make_answer(question, people[ASKER]),
    ]
    return [u.id for u in people], [question.id] + [a.id for a in answers]


def apply(action: tuple, user_ids: list[int], post_ids: list[int]) -> None:
    """Run one action through the services, as a fresh request would."""
    db.session.expire_all()
    name, who, *args = action
    if name == "vote":
        target, value = args
        others = [u for u in USERS if u != OWNERS[target]]
        voter = (others + [OWNERS[target]])[who]
        post = db.session.get(Post, post_ids[target])
        voting.cast_vote(db.session.get(User, user_ids[voter]), post, value)
    elif name == "accept":
        (answer,) = args
        question = db.session.get(Question, post_ids[0])
        chosen = None if answer is None else db.session.get(Post, post_ids[answer])
        voting.accept_answer(db.session.get(User, user_ids[who]), question, chosen)
    else:
        pick, *reason = args
        deleted = [db.session.get(Post, pid).is_deleted for pid in post_ids]
        wanted = [n for n in POSTS if deleted[n] == (name == "undelete")]
        target = wanted[pick % len(wanted)] if wanted else pick % len(POSTS)
        owner = OWNERS[target]
        user_index = {"owner": owner, "staff": STAFF, "other": 3 if owner != 3 else 1}
        user = db.session.get(User, user_ids[user_index[who]])
        post = db.session.get(Post, post_ids[target])
        if name == "delete":
            posts.delete_post(user, post, *reason)
        else:
            posts.undelete_post(user, post)


def fingerprint() -> tuple:
    """Everything an action may change, to show that a refusal changed nothing."""
    return (
        tuple(db.session.execute(select(ReputationEvent.id).order_by("id")).all()),
        tuple(db.session.execute(select(Vote.user_id, Vote.post_id, Vote.value)
                                 .order_by(Vote.id)).all()),
        tuple(db.session.execute(
            select(Post.id, Post.score, Post.deleted_at, Post.deleted_reason)
            .order_by(Post.id)).all()),
        tuple(db.session.execute(
            select(Question.accepted_answer_id, Question.accepted_by,
                   Question.answer_count)).all()),
        tuple(db.session.execute(select(User.reputation).order_by(User.id)).all()),
    )  # fmt: skip


def check_invariants() -> None:
    """Scores, caches, reversals, the accepted answer and answer counts agree.

    ``assert_consistent`` checks that scores equal the votes, caches equal
    ``max(1, 1 + sum)``, no event is reversed twice, the accepted answer is a
    live answer of its question, and the live events are what the state earns.
    """
    assert_consistent()
    assert maintenance.answer_count_drift() == []


@settings(
    max_examples=40,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the working tree
    # ``app`` only makes sure the schema exists; each example has its own app.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(ACTION, min_size=1, max_size=20))
def test_random_actions_keep_the_ledger_consistent(app, actions):
    with fresh_app():
        user_ids, post_ids = build_cast()
        check_invariants()
        for action in actions:
            before = fingerprint()
            try:
                apply(action, user_ids, post_ids)
            except ServiceError:
                # A refusal is a legitimate outcome; it must write nothing.
                assert fingerprint() == before, action
                db.session.rollback()
            check_invariants()
