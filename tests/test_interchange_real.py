"""Importing a real Stack Exchange dump (skipped without one).

FORUM_SAMPLE_DUMPS names a folder holding bicycles.meta.stackexchange.com/, the
unpacked dump of that site (https://archive.org/details/stackexchange); by
default the tests look in ../shared/data beside the checkout, where the
developers keep it.
"""

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Answer, Comment, Post, Question, Revision, User
from tests.helpers import count
from tests.ledger import assert_consistent

DUMPS_ENV = "FORUM_SAMPLE_DUMPS"
DUMPS = os.environ.get(DUMPS_ENV) or Path(__file__).parents[2] / "shared" / "data"
BICYCLES = Path(DUMPS) / "bicycles.meta.stackexchange.com"

pytestmark = [
    pytest.mark.skipif(
        not (BICYCLES / "Posts.xml").is_file(),
        reason=f"no Stack Exchange dump at {BICYCLES} (set {DUMPS_ENV})",
    ),
    pytest.mark.usefixtures("app_ctx"),
]


def test_bicycles_meta_imports_with_its_known_facts(runner):
    result = runner.invoke(
        args=[
            "import",
            "stackexchange",
            str(BICYCLES),
            "--site-url",
            "https://bicycles.meta.stackexchange.com",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "links to a missing post" in result.output
    assert "votes on a missing post" in result.output
    db.session.expire_all()
    assert (count(Question), count(Answer), count(Comment)) == (453, 971, 2448)
    first = db.session.get(Question, 1)
    assert first.title == "Suggest a domain name" and first.score == 8
    assert first.duplicate_of_id == 144 and first.closed_reason == "duplicate"
    assert first.source_license == "CC BY-SA 2.5"
    assert db.session.get(Question, 557).duplicate_of_id == 778
    assert db.session.scalar(select(User).where(User.username == "Community"))
    # Every post has its history, from PostHistory.xml.
    with_history = select(func.count(func.distinct(Revision.post_id)))
    assert db.session.scalar(with_history) == count(Post)
    assert_consistent()
    for args in (["reputation", "verify"], ["recount", "--check"], ["search", "check"]):
        check = runner.invoke(args=args)
        assert check.exit_code == 0, (args, check.output)
