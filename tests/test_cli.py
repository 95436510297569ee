"""The ``flask --app forum`` commands: users, roles and the answer-count recount."""

import pytest
from sqlalchemy import select, update

from forum.extensions import db
from forum.models import Question, User
from forum.services import posts, users
from tests.factories import PASSWORD, make_answer, make_question, make_user
from tests.helpers import count, fresh

pytestmark = pytest.mark.usefixtures("app_ctx")

GOOD = "a long enough password"


def create(runner, *args, password_lines=(GOOD, GOOD)):
    """Run ``users create`` with the password lines on stdin."""
    stdin = "".join(f"{line}\n" for line in password_lines)
    return runner.invoke(args=["users", "create", *args], input=stdin)


def test_create_user_reads_password_twice_from_stdin(runner):
    result = create(runner, "alice", "--email", "Alice@Example.com")
    assert result.exit_code == 0, result.output
    assert "Created user 'alice'" in result.output
    user = users.find_by_username("alice")
    assert user.role == "user"
    assert user.email == "alice@example.com"
    assert users.authenticate("alice", GOOD) == user


def test_create_staff_user(runner):
    result = create(runner, "nora", "--email", "nora@example.com", "--staff")
    assert result.exit_code == 0, result.output
    assert users.find_by_username("nora").role == "staff"


def test_password_mismatch_fails_and_creates_nothing(runner):
    result = create(
        runner,
        "bob",
        "--email",
        "bob@example.com",
        password_lines=(GOOD, GOOD + "x"),
    )
    assert result.exit_code == 1
    assert "do not match" in result.output
    assert count(User) == 0


@pytest.mark.parametrize(
    ("username", "email", "password", "message"),
    [
        ("no spaces", "x@example.com", GOOD, "Username may contain only"),
        ("ab", "x@example.com", GOOD, "Username must be 3-30 characters"),
        ("carol", "not-an-email", GOOD, "Email is not valid"),
        ("carol", "carol@example.com", "short", "Password must be at least 10"),
    ],
)
def test_invalid_values_fail_with_the_service_message(
    runner, username, email, password, message
):
    result = create(
        runner, username, "--email", email, password_lines=(password, password)
    )
    assert result.exit_code == 1
    assert "Error:" in result.output
    assert message in result.output
    assert count(User) == 0


def test_duplicate_username_fails(runner):
    make_user(username="dave")
    result = create(runner, "DAVE", "--email", "other@example.com")
    assert result.exit_code == 1
    assert "username is taken" in result.output
    assert count(User) == 1


def set_password(runner, username, password_lines=(GOOD, GOOD)):
    """Run ``users set-password`` with the password lines on stdin."""
    stdin = "".join(f"{line}\n" for line in password_lines)
    return runner.invoke(args=["users", "set-password", username], input=stdin)


def test_set_password_reads_it_twice_and_signs_out_sessions(runner, client, auth):
    user = make_user(username="grace")
    auth.login("grace")
    assert client.get("/users/edit").status_code == 200
    result = set_password(runner, "Grace")
    assert result.exit_code == 0, result.output
    assert "Password of 'grace' changed" in result.output
    assert users.authenticate("grace", GOOD) == user
    assert users.authenticate("grace", PASSWORD) is None
    # The browser that was logged in with the old password is signed out.
    response = client.get("/users/edit")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("username", "password_lines", "message"),
    [
        ("heidi", (GOOD, GOOD + "x"), "do not match"),
        ("heidi", ("short", "short"), "Password must be at least 10"),
        ("heidi", ("nul\x00" * 4, "nul\x00" * 4), "NUL characters"),
        ("nobody", (GOOD, GOOD), "No user named 'nobody'"),
    ],
)
def test_set_password_refusals_exit_1_and_change_nothing(
    runner, username, password_lines, message
):
    make_user(username="heidi")
    before = db.session.scalar(select(User.password_hash))
    result = set_password(runner, username, password_lines)
    assert result.exit_code == 1
    assert "Error:" in result.output
    assert message in result.output
    db.session.expire_all()
    assert db.session.scalar(select(User.password_hash)) == before


def test_set_role_both_ways(runner):
    make_user(username="erin")
    result = runner.invoke(args=["users", "set-role", "Erin", "staff"])
    assert result.exit_code == 0, result.output
    assert "'erin' is now staff" in result.output
    assert users.find_by_username("erin").role == "staff"
    result = runner.invoke(args=["users", "set-role", "erin", "user"])
    assert result.exit_code == 0
    assert users.find_by_username("erin").role == "user"


def test_set_role_unknown_user_or_role(runner):
    result = runner.invoke(args=["users", "set-role", "nobody", "staff"])
    assert result.exit_code == 1
    assert "No user named 'nobody'" in result.output
    make_user(username="frank")
    result = runner.invoke(args=["users", "set-role", "frank", "admin"])
    assert result.exit_code == 2  # click rejects the choice
    assert users.find_by_username("frank").role == "user"


def test_recount_check_finds_and_recount_fixes_a_wrong_count(runner):
    question = make_question()
    make_answer(question)
    deleted = make_answer(question)
    posts.delete_post(deleted.owner, deleted)
    other = make_question()

    result = runner.invoke(args=["recount", "--check"])
    assert result.exit_code == 0, result.output
    assert "All answer counts match." in result.output

    db.session.execute(
        update(Question).where(Question.id == question.id).values(answer_count=7)
    )
    db.session.execute(
        update(Question).where(Question.id == other.id).values(answer_count=None)
    )
    db.session.commit()
    result = runner.invoke(args=["recount", "--check"])
    assert result.exit_code == 1
    assert f"question {question.id}: answer_count is 7, live answers 1" in result.output
    assert f"question {other.id}: answer_count is None, live answers 0" in result.output

    result = runner.invoke(args=["recount"])
    assert result.exit_code == 0
    assert "Fixed 2 question(s)." in result.output
    assert fresh(Question, question.id).answer_count == 1
    assert db.session.get(Question, other.id).answer_count == 0
    assert runner.invoke(args=["recount", "--check"]).exit_code == 0
