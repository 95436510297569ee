"""Plain functions that make test data through the real services."""

import itertools

from forum.models import ROLE_STAFF, Answer, Comment, Question, User
from forum.services import answers, comments, questions, reputation, users

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


def make_user(**overrides) -> User:
    """Register a user (unique name and email).

    ``staff=True`` gives the staff role; ``reputation=N`` grants N - 1 as a bonus.
    """
    n = next(_counter)
    staff = overrides.pop("staff", False)
    rep = overrides.pop("reputation", 1)
    fields = {
        "username": f"user{n}",
        "email": f"user{n}@example.com",
        "password": PASSWORD,
    }
    fields.update(overrides)
    user = users.register_user(
        fields["username"],
        fields["email"],
        fields["password"],
        role=ROLE_STAFF if staff else "user",
    )
    if rep != 1:
        # Reputation comes from the ledger: one "bonus" event makes it up.
        reputation.grant(user, rep - 1)
    return user


def make_question(author: User | None = None, **overrides) -> Question:
    """Ask a valid question (a new author unless one is given)."""
    n = next(_counter)
    fields = {
        "title": f"Printer number {n} shows offline after reboot",
        "body": f"Since yesterday printer {n} shows as offline in the print queue.",
        "tags": "printer windows",
    }
    fields.update(overrides)
    return questions.ask_question(
        author or make_user(), fields["title"], fields["body"], fields["tags"]
    )


def make_answer(question: Question, author: User | None = None, **overrides) -> Answer:
    """Answer a question (a new author unless one is given)."""
    n = next(_counter)
    body = overrides.get("body", f"Answer {n}: restart the print spooler service.")
    return answers.post_answer(author or make_user(), question, body)


def make_comment(post, author: User | None = None, **overrides) -> Comment:
    """Comment on a post (a new author unless one is given)."""
    n = next(_counter)
    body = overrides.get("body", f"Comment {n}: which model is it exactly?")
    return comments.add_comment(author or make_user(), post, body)
