"""``flask --app forum reputation verify|rebuild``: the cache against the ledger."""

import pytest
from sqlalchemy import update

from forum import demo
from forum.extensions import db
from forum.models import User
from forum.services import reputation, voting
from tests.factories import make_question, make_user
from tests.helpers import fresh
from tests.ledger import assert_consistent

pytestmark = pytest.mark.usefixtures("app_ctx")


def verify(runner):
    """Run ``reputation verify``."""
    return runner.invoke(args=["reputation", "verify"])


def corrupt(user: User, value: int) -> None:
    """Overwrite a cached reputation behind the ledger's back."""
    db.session.execute(update(User).where(User.id == user.id).values(reputation=value))
    db.session.commit()


def test_verify_is_clean_after_votes(runner):
    question = make_question()
    voting.cast_vote(make_user(reputation=20), question, 1)
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "matches the ledger" in result.output


def test_verify_names_a_drifted_user_and_rebuild_fixes_it(runner):
    question = make_question()
    voting.cast_vote(make_user(reputation=20), question, 1)
    owner = question.owner
    bystander = make_user(username="bystander")
    corrupt(owner, 999)

    result = verify(runner)
    assert result.exit_code == 1
    assert f"{owner.username}: cached 999, ledger 11" in result.output
    assert "1 user(s) differ" in result.output
    assert bystander.username not in result.output

    result = runner.invoke(args=["reputation", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "1 user(s) changed" in result.output
    assert fresh(User, owner.id).reputation == 11
    assert reputation.drift() == []

    result = verify(runner)
    assert result.exit_code == 0, result.output


def test_rebuild_on_a_clean_database_changes_nothing(runner):
    make_user(reputation=40)
    result = runner.invoke(args=["reputation", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "0 user(s) changed" in result.output


def test_verify_reports_a_cache_below_the_floor(runner):
    user = make_user()
    corrupt(user, 0)
    result = verify(runner)
    assert result.exit_code == 1
    assert f"{user.username}: cached 0, ledger 1" in result.output


def test_verify_is_clean_after_the_demo_content(runner):
    assert demo.load_demo() is not None
    assert_consistent()  # the ledger matches every vote and acceptance too
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "matches the ledger" in result.output
