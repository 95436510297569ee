"""``flask --app forum import|export stackexchange``: a small dump written here."""

import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import (
    Answer,
    BadgeAward,
    Comment,
    ImportedBadge,
    ImportRecord,
    Post,
    PostLink,
    Question,
    ReputationEvent,
    Revision,
    Tag,
    User,
)
from forum.services import users, voting
from tests.factories import make_question, make_user
from tests.helpers import API
from tests.interchange_dump import SITE, SITE_URL, write_dump
from tests.ledger import assert_consistent

pytestmark = pytest.mark.usefixtures("app_ctx")

IMPORTED_POSTS = {1, 2, 3, 4, 6}


def run_import(runner, folder, *extra):
    """Invoke ``flask import stackexchange FOLDER --site-url SITE_URL``."""
    args = ["import", "stackexchange", str(folder), "--site-url", SITE_URL, *extra]
    return runner.invoke(args=args)


@pytest.fixture
def dump(tmp_path):
    """The small dump, written into a folder of its own."""
    return write_dump(tmp_path / "dump")


@pytest.fixture
def imported(app_ctx, runner, dump):
    """The dump imported into the empty forum."""
    result = run_import(runner, dump)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def row_counts() -> dict[str, int]:
    """Rows per table: proof that a failed import changed nothing."""
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def summary_line(output: str, name: str) -> list[str]:
    """The summary table's columns for one file (after the progress bars)."""
    table = output[output.index("imported  updated") :]
    line = next(line for line in table.splitlines() if line.strip().startswith(name))
    return line.split()


def empty_database() -> None:
    """Delete every row (children first), as an empty forum has none."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


# --- importing into an empty forum -------------------------------------------


def test_questions_and_answers_keep_their_ids_scores_and_dates(imported):
    assert "ids kept" in imported.output
    assert set(db.session.scalars(select(Post.id))) == IMPORTED_POSTS
    question = db.session.get(Question, 1)
    assert question.title == "How do I reset my router to factory settings?"
    assert question.tag_names == ["router", "wifi"]
    assert (question.score, question.imported_score) == (5, 5)
    assert (question.imported_up, question.imported_down) == (6, 1)
    assert question.view_count == 120 and question.answer_count == 2
    assert question.accepted_answer_id == 3 and question.accepted_by == "asker"
    assert question.created_at.isoformat() == "2021-04-27T15:06:44.553000"
    assert question.last_activity_at.isoformat() == "2021-05-01T09:00:00"
    assert question.owner.display_name == "Alice Asker"
    answer = db.session.get(Answer, 3)
    assert answer.question_id == 1 and answer.score == 7
    assert (answer.imported_up, answer.imported_down) == (7, 0)
    assert db.session.get(Post, 5) is None  # its question is not in the dump


def test_html_bodies_become_markdown_rendered_by_our_pipeline(imported):
    question = db.session.get(Question, 1)
    assert "**hangs**" in question.body_markdown
    assert "```sh\nping 192.168.0.1\n```" in question.body_markdown
    assert "<strong>hangs</strong>" in question.body_html
    assert '<code class="language-sh">ping 192.168.0.1' in question.body_html
    assert "alert" not in question.body_markdown and "<script" not in question.body_html
    printer = db.session.get(Question, 6)
    assert "<li>HP LaserJet</li>" in printer.body_html


def test_users_have_no_email_or_password_and_keep_their_profile(imported):
    people = {u.username: u for u in db.session.scalars(select(User))}
    assert set(people) == {"Community", "Alice-Asker", "Alice-Asker-2", "Bob-Answerer"}
    alice = people["Alice-Asker"]
    assert alice.email is None and alice.password_hash is None
    assert alice.location == "Lisbon" and alice.website == "https://alice.example.org"
    assert "<strong>good</strong>" in alice.about_html
    assert alice.created_at.isoformat() == "2010-08-26T10:00:00"
    assert alice.reputation == 101 and people["Bob-Answerer"].reputation == 250
    events = db.session.execute(
        select(ReputationEvent.user_id, ReputationEvent.kind, ReputationEvent.delta)
    ).all()
    assert sorted(events) == sorted(
        [(alice.id, "imported", 100), (people["Bob-Answerer"].id, "imported", 249)]
    )
    # The Community bot owns its answer; nobody can log in as an imported user.
    assert db.session.get(Answer, 4).owner.username == "Community"
    assert users.authenticate("Alice-Asker", "") is None
    assert users.authenticate("Alice-Asker", "correct horse battery") is None


def test_login_form_refuses_imported_users(imported, auth):
    response = auth.login("Alice-Asker", "any password at all")
    assert response.status_code == 401
    assert b"Log out" not in response.data


def test_deleted_authors_keep_their_name(imported, client):
    question = db.session.get(Question, 2)
    assert question.owner_id is None and question.source_author == "Gone Gary"
    comment = db.session.scalar(select(Comment).where(Comment.post_id == 3))
    assert comment.owner_id is None and comment.source_author == "Gone Gary"
    page = client.get("/questions/2", follow_redirects=True).get_data(as_text=True)
    assert "Gone Gary" in page and "deleted user" not in page


def test_comments_tags_badges_links_and_revisions(imported):
    assert db.session.scalar(select(func.count(Comment.id))) == 2
    tags = {t.name: t.excerpt for t in db.session.scalars(select(Tag))}
    assert tags == {
        "router": "Questions about home routers.",
        "wifi": "",
        "printer": "",
    }
    alice = db.session.scalar(select(User).where(User.username == "Alice-Asker"))
    bob = db.session.scalar(select(User).where(User.username == "Bob-Answerer"))
    ours = db.session.execute(select(BadgeAward.user_id, BadgeAward.badge)).all()
    assert sorted(ours) == sorted([(alice.id, "student"), (bob.id, "teacher")])
    named = db.session.execute(
        select(ImportedBadge.user_id, ImportedBadge.name, ImportedBadge.badge_class)
    ).all()
    assert sorted(named) == sorted(
        [
            (alice.id, "Autobiographer", "bronze"),
            (bob.id, "Supporter", "bronze"),
            (bob.id, "Nice Answer", "bronze"),
            (bob.id, "wifi", "silver"),
        ]
    )
    # The first duplicate link (by Id) closes the question; the others stay links.
    duplicate = db.session.get(Question, 2)
    assert duplicate.duplicate_of_id == 1 and duplicate.closed_reason == "duplicate"
    assert duplicate.closed_at.isoformat() == "2010-09-03T12:00:00"
    links = db.session.execute(
        select(PostLink.post_id, PostLink.related_post_id, PostLink.kind)
    ).all()
    assert sorted(links) == [(2, 1, "duplicate"), (2, 6, "duplicate"), (6, 1, "linked")]
    revisions = db.session.scalars(
        select(Revision).where(Revision.post_id == 1).order_by(Revision.number)
    ).all()
    assert [(r.number, r.title, r.tags) for r in revisions] == [
        (1, "How do I reset my router?", "router wifi"),
        (2, "How do I reset my router to factory settings?", "router wifi"),
    ]
    assert revisions[1].summary == "clearer title"
    assert revisions[1].author_id == bob.id
    # Posts without history get their imported text as revision 1.
    (only,) = db.session.scalars(select(Revision).where(Revision.post_id == 3))
    assert (
        only.number == 1 and only.body_markdown == db.session.get(Post, 3).body_markdown
    )


def test_summary_counts_what_was_skipped_and_why(imported):
    output = imported.output
    assert summary_line(output, "Users.xml")[1:5] == ["4", "0", "0", "0"]
    assert summary_line(output, "Posts.xml")[1:5] == ["5", "0", "0", "4"]
    assert "1 answers to a missing question" in output
    assert "1 post type 6 (not a question or answer)" in output
    assert "2 votes on a missing post" in output
    assert "1 comments on a missing post" in output
    assert "1 links to a missing post" in output
    assert "1 badges of a missing user" in output
    assert "1 history of a missing post" in output
    assert "1 invalid tag names" in output
    assert summary_line(output, "Votes.xml")[1] == "15"
    assert "Total time:" in output


def test_the_ledger_counts_and_search_index_are_consistent(imported, runner):
    assert_consistent()
    for args in (["reputation", "verify"], ["recount", "--check"], ["search", "check"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)


def test_votes_here_add_to_imported_scores(imported):
    voter = make_user(reputation=200)
    answer = db.session.get(Answer, 3)
    assert voting.cast_vote(voter, answer, 1) == 8
    assert voting.vote_counts([3]) == {3: (8, 0)}
    assert voting.cast_vote(voter, answer, -1) == 6
    assert_consistent()


def test_a_new_question_after_the_import_gets_a_fresh_id(imported):
    question = make_question()
    assert question.id > max(IMPORTED_POSTS)


def test_demo_content_is_not_loaded_over_an_import(imported, runner):
    result = runner.invoke(args=["demo", "load"])
    assert "already has users" in result.output
    assert db.session.scalar(select(func.count(Post.id))) == len(IMPORTED_POSTS)


def test_demo_content_is_not_loaded_over_posts_without_users(runner, tmp_path):
    folder = write_dump(tmp_path / "posts-only", only=("Posts.xml",))
    assert run_import(runner, folder).exit_code == 0
    result = runner.invoke(args=["demo", "load"])
    assert "demo content not loaded" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


# --- pages and API ------------------------------------------------------------


def test_question_page_shows_attribution_and_linked_questions(imported, client):
    page = client.get("/questions/1", follow_redirects=True).get_data(as_text=True)
    assert "Originally posted on" in page
    assert f'href="{SITE_URL}/q/1"' in page and f'href="{SITE_URL}/a/3"' in page
    assert f'href="{SITE_URL}/users/2"' in page and ">Alice Asker</a>" in page
    assert 'href="https://creativecommons.org/licenses/by-sa/4.0/"' in page
    assert "Linked questions" in page and "Which printer works best" in page
    assert "alert(" not in page
    old = client.get("/questions/2", follow_redirects=True).get_data(as_text=True)
    assert "CC BY-SA 2.5" in old  # before 2011-04-08 and no ContentLicense
    assert "as duplicate" in old


def test_api_returns_imported_content_with_its_source(imported, client):
    data = client.get(f"{API}/questions/1").json
    assert data["id"] == 1 and data["score"] == 5 and data["accepted_answer_id"] == 3
    assert data["source"] == {
        "site": SITE,
        "url": f"{SITE_URL}/q/1",
        "license": "CC BY-SA 4.0",
        "license_url": "https://creativecommons.org/licenses/by-sa/4.0/",
        "author": "Alice Asker",
        "author_url": f"{SITE_URL}/users/2",
    }
    assert [a["id"] for a in data["answers"]] == [3, 4]
    assert data["answers"][0]["source"]["url"] == f"{SITE_URL}/a/3"
    listed = client.get(f"{API}/questions?sort=votes").json
    assert [q["id"] for q in listed["items"]] == [1, 6, 2]
    hits = client.get(f"{API}/search?q=router").json
    assert 1 in [hit["id"] for hit in hits["items"]]


# --- idempotency, remapping, failures ----------------------------------------


def test_a_second_run_changes_nothing(imported, runner, dump):
    before = row_counts()
    result = run_import(runner, dump)
    assert result.exit_code == 0, result.output
    assert "Nothing new" in result.output
    assert summary_line(result.output, "Posts.xml")[1:4] == ["0", "0", "5"]
    assert summary_line(result.output, "Users.xml")[1:4] == ["0", "0", "4"]
    assert row_counts() == before
    assert_consistent()


def test_into_a_forum_with_posts_ids_are_remapped_and_findable(runner, dump, client):
    mine = make_question()
    result = run_import(runner, dump)
    assert result.exit_code == 0, result.output
    assert "new ids" in result.output
    db.session.expire_all()
    records = dict(
        db.session.execute(
            select(ImportRecord.source_id, ImportRecord.local_id).where(
                ImportRecord.kind == "post", ImportRecord.site == SITE
            )
        ).all()
    )
    assert set(records) == IMPORTED_POSTS
    assert mine.id not in records.values()
    question = db.session.get(Question, records[1])
    assert question.title.startswith("How do I reset my router")
    assert question.accepted_answer_id == records[3]
    assert db.session.get(Question, records[2]).duplicate_of_id == records[1]
    response = client.get(f"/questions/source/{SITE}/1")
    assert response.status_code == 301
    assert f"/questions/{records[1]}/" in response.headers["Location"]
    response = client.get(f"/questions/source/{SITE}/3")
    assert response.headers["Location"].endswith(f"#answer-{records[3]}")
    assert client.get(f"/questions/source/{SITE}/5").status_code == 404
    assert_consistent()


def test_malformed_xml_leaves_the_database_exactly_as_it_was(runner, dump):
    make_question()
    posts = (dump / "Posts.xml").read_text(encoding="utf-8").splitlines()
    posts.insert(len(posts) // 2, '  <row Id="77" Body="unclosed>')
    (dump / "Posts.xml").write_text("\n".join(posts), encoding="utf-8")
    before = row_counts()
    result = run_import(runner, dump)
    assert result.exit_code == 1
    assert "Posts.xml is not well-formed XML" in result.output
    assert "Nothing was imported" in result.output
    db.session.rollback()
    assert row_counts() == before


def test_a_missing_folder_is_a_clear_error(runner, tmp_path):
    result = run_import(runner, tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "No such folder" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_missing_files_are_skipped_with_a_note(runner, tmp_path):
    folder = write_dump(tmp_path / "partial", only=("Users.xml", "Posts.xml"))
    result = run_import(runner, folder)
    assert result.exit_code == 0, result.output
    assert " ".join(summary_line(result.output, "Votes.xml")[1:]) == (
        "(no such file: skipped)"
    )
    assert db.session.scalar(select(func.count(Question.id))) == 3
    assert db.session.get(Question, 1).tag_names == ["router", "wifi"]


# --- export and the round trip ------------------------------------------------


def read_rows(path) -> list[dict]:
    """Every row of an exported file."""
    return [dict(el.attrib) for el in ET.parse(path).getroot()]


def test_export_writes_eight_files_without_secrets(imported, runner, tmp_path):
    staff = make_user(email="staff@example.com", staff=True, reputation=200)
    voting.cast_vote(staff, db.session.get(Answer, 3), -1)
    out = tmp_path / "export"
    result = runner.invoke(args=["export", "stackexchange", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "Users.xml",
            "Posts.xml",
            "Tags.xml",
            "PostLinks.xml",
            "Comments.xml",
            "Votes.xml",
            "Badges.xml",
            "PostHistory.xml",
        ]
    )
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8-sig")
        assert "@example.com" not in text and "scrypt" not in text, path.name
    users_out = {r["Id"]: r for r in read_rows(out / "Users.xml")}
    assert users_out["-1"]["DisplayName"] == "Community"
    assert not any("Email" in r or "PasswordHash" in r for r in users_out.values())
    posts = {r["Id"]: r for r in read_rows(out / "Posts.xml")}
    votes = Counter()
    for row in read_rows(out / "Votes.xml"):
        votes[row["PostId"]] += 1 if row["VoteTypeId"] == "2" else -1
    for post in db.session.scalars(select(Post)):
        assert votes[str(post.id)] == post.score == int(posts[str(post.id)]["Score"])
    assert posts["3"]["Score"] == "6"
    assert posts["1"]["AcceptedAnswerId"] == "3"
    assert posts["2"]["OwnerDisplayName"] == "Gone Gary"


def facts() -> dict:
    """What a round trip must keep."""
    questions = {
        q.id: (
            q.title,
            tuple(q.tag_names),
            q.score,
            q.accepted_answer_id,
            q.duplicate_of_id,
            q.answer_count,
            q.view_count,
            q.closed_at,
        )
        for q in db.session.scalars(select(Question))
    }
    answers = {
        a.id: (a.question_id, a.score, a.body_html, a.owner and a.owner.display_name)
        for a in db.session.scalars(select(Answer))
    }
    comments = sorted(
        db.session.execute(
            select(Comment.post_id, Comment.body_markdown, Comment.created_at)
        ).all()
    )
    tags = dict(db.session.execute(select(Tag.name, Tag.excerpt)).all())
    links = sorted(
        db.session.execute(
            select(PostLink.post_id, PostLink.related_post_id, PostLink.kind)
        ).all()
    )
    return {
        "questions": questions,
        "answers": answers,
        "comments": comments,
        "tags": tags,
        "links": links,
    }


def test_round_trip_through_an_export_keeps_the_content(imported, runner, tmp_path):
    before = facts()
    out = tmp_path / "export"
    assert runner.invoke(args=["export", "stackexchange", str(out)]).exit_code == 0
    empty_database()
    result = run_import(runner, out)
    assert result.exit_code == 0, result.output
    assert "ids kept" in result.output
    db.session.expire_all()
    assert facts() == before
    assert_consistent()
