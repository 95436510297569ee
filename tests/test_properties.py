"""Property test: random sequences of votes, accepts and deletions keep the ledger
consistent after every single step.

Fixtures are made once per test, not per example, so the cast is built once
and each example starts by restoring the database to that snapshot: a question,
three answers (one by the asker), four users with enough reputation to vote
both ways, and one staff member.
"""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, Question, ReputationEvent, User, Vote
from forum.services import maintenance, posts, voting
from forum.services.errors import ServiceError
from tests.factories import make_answer, make_question, make_user
from tests.helpers import make_app, reset_database
from tests.ledger import assert_consistent

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
VOTE = st.tuples(
    st.just("vote"), index, st.sampled_from(POSTS), st.sampled_from((1, -1, 0))
)
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

# Known paths, always tried besides the random ones.
REPAY_ON_UNDELETE = [  # undeleting re-pays the votes and lifts the spam penalty
    ("vote", 0, 1, 1),
    ("vote", 1, 1, -1),
    ("delete", "staff", 1, "spam"),
    ("undelete", "staff", 0),
    ("vote", 0, 1, 0),
]
CONFIRM_MOVE_DELETE = [  # staff's choice confirmed, moved, its answer deleted
    ("accept", STAFF, 1),
    ("accept", ASKER, 1),
    ("vote", 2, 2, 1),
    ("accept", STAFF, 2),
    ("accept", ASKER, 2),
    ("delete", "staff", 2, "offensive"),
    ("undelete", "staff", 0),
    ("accept", ASKER, None),
]
STAFF_AT_THE_FLOOR = [  # staff (reputation 1) pay for downvoting answers
    ("vote", 3, 1, -1),
    ("vote", 3, 2, -1),
    ("vote", 3, 1, 1),
]
OWNER_DELETES_AND_RESTORES = [  # a downvoted, accepted answer
    ("vote", 1, 2, -1),
    ("accept", ASKER, 2),
    ("delete", "owner", 2, ""),
    ("undelete", "owner", 0),
    ("accept", ASKER, 3),
    ("delete", "owner", 0, ""),
]


@pytest.fixture
def cast(tmp_path):
    """An app with the cast built once; yields (user ids, post ids, a snapshot)."""
    # Search is not under test: its outbox rows stay undrained ("manual").
    app = make_app(tmp_path, SEARCH_INDEXING="manual")
    with app.app_context():
        reset_database()
        user_ids, post_ids = build_cast()
        yield user_ids, post_ids, snapshot()
        db.session.remove()
        db.engine.dispose()


def snapshot() -> list[tuple]:
    """Every row of every table, in insertion order (the tables are tiny)."""
    db.session.commit()
    return [
        (
            table,
            [
                dict(row._mapping)
                for row in db.session.execute(
                    select(table).order_by(*table.primary_key.columns)
                )
            ],
        )
        for table in db.metadata.sorted_tables
    ]


def restore(rows: list[tuple]) -> None:
    """Put the database back to a ``snapshot`` (far cheaper than a new cast)."""
    db.session.rollback()
    for table, _ in reversed(rows):
        db.session.execute(table.delete())
    for table, records in rows:
        if records:
            db.session.execute(table.insert(), records)
    db.session.commit()
    db.session.expire_all()


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
        tuple(
            db.session.execute(
                select(Vote.user_id, Vote.post_id, Vote.value).order_by(Vote.id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(
                    Post.id, Post.score, Post.deleted_at, Post.deleted_reason
                ).order_by(Post.id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(
                    Question.accepted_answer_id,
                    Question.accepted_by,
                    Question.answer_count,
                )
            ).all()
        ),
        tuple(db.session.execute(select(User.reputation).order_by(User.id)).all()),
    )


def check_invariants() -> None:
    """Check scores, caches, reversals, the accepted answer and answer counts."""
    # assert_consistent: scores equal the votes, caches equal max(1, 1 + sum),
    # no event is reversed twice, the accepted answer is a live answer of its
    # question, and the live events are exactly what the current state earns.
    assert_consistent()
    assert maintenance.answer_count_drift() == []


@settings(
    max_examples=40,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the working tree
    # The fixture is shared by the examples on purpose: each one restores the
    # database to the fixture's snapshot first.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(ACTION, min_size=3, max_size=15))
@example(actions=REPAY_ON_UNDELETE)
@example(actions=CONFIRM_MOVE_DELETE)
@example(actions=OWNER_DELETES_AND_RESTORES)
@example(actions=STAFF_AT_THE_FLOOR)
def test_random_actions_keep_the_ledger_consistent(cast, actions):
    user_ids, post_ids, start = cast
    restore(start)
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
