"""Models to the API's JSON shapes, keys in the order /api/v1/openapi.json lists.

List serialisers fetch the caller's votes in one query, never one per item.
"""

from typing import Any

from forum.models import (
    Answer,
    ApiToken,
    Comment,
    Question,
    ReputationEvent,
    Revision,
    Tag,
    User,
)
from forum.search import Hit
from forum.services import badges, privileges, questions, voting
from forum.services.pagination import Page
from forum.views.helpers import isoformat, shown_html


def page(result: Page, items: list) -> dict:
    """The list envelope around already serialised items."""
    return {
        "items": items,
        "page": result.page,
        "per_page": result.per_page,
        "total": result.total,
        "has_more": result.has_more,
    }


def user_summary(user: User | None) -> dict | None:
    """The short form of a user shown as a post's owner (null if none)."""
    if user is None:
        return None
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "reputation": user.reputation,
    }


def user(user: User, viewer: User | None, badge_counts: dict | None = None) -> dict:
    """A user; the owner and staff also see the email address.

    ``badge_counts`` (gold/silver/bronze) is looked up when not given.
    """
    if badge_counts is None:
        badge_counts = badges.class_counts([user.id])[user.id]
    data: dict[str, Any] = {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "reputation": user.reputation,
        "rank": privileges.rank_for(user.reputation),
        "created_at": isoformat(user.created_at),
        "badges": badge_counts,
    }
    if viewer is not None and (viewer.id == user.id or viewer.is_staff):
        data["email"] = user.email
    return data


def token(t: ApiToken) -> dict:
    """An API token's description; its secret is never serialised here."""
    return {
        "id": t.id,
        "name": t.name,
        "created_at": isoformat(t.created_at),
        "expires_at": isoformat(t.expires_at),
        "last_used_at": isoformat(t.last_used_at) if t.last_used_at else None,
    }


def users_page(result: Page, viewer: User | None) -> dict:
    """A page of users: badge counts for all of them in one query."""
    counts = badges.class_counts([u.id for u in result.items])
    return page(result, [user(u, viewer, counts[u.id]) for u in result.items])


def source(p: Question | Answer) -> dict:
    """Where an imported post comes from (its attribution)."""
    return {
        "site": p.source_site,
        "url": p.source_url,
        "license": p.source_license,
        "license_url": p.source_license_url,
        "author": p.source_author,
        "author_url": p.source_author_url,
    }


def _with_extras(
    data: dict[str, Any], p: Question | Answer, viewer: User | None, votes: dict
) -> dict:
    """Add what only some posts and callers get: attribution, the caller's vote."""
    if p.source_url is not None:
        data["source"] = source(p)
    if viewer is not None:
        data["my_vote"] = votes.get(p.id, 0)
    return data


def question(q: Question, viewer: User | None, votes: dict[int, int]) -> dict:
    """A question without its answers; ``votes`` maps post id to the viewer's vote."""
    data: dict[str, Any] = {
        "id": q.id,
        "title": q.title,
        "body_markdown": q.body_markdown,
        "body_html": shown_html(q.body_html),
        "tags": q.tag_names,
        "score": q.score,
        "answer_count": q.answer_count or 0,
        "view_count": q.view_count or 0,
        "accepted_answer_id": q.accepted_answer_id,
        "accepted_by": q.accepted_by,
        "is_closed": q.is_closed,
        "closed_reason": q.closed_reason,
        "duplicate_of": q.duplicate_of_id,
        "owner": user_summary(q.owner),
        "created_at": isoformat(q.created_at),
        "last_activity_at": isoformat(q.last_activity_at),
    }
    return _with_extras(data, q, viewer, votes)


def one_question(q: Question, viewer: User | None) -> dict:
    """A question on its own (create, accept): one vote look-up."""
    return question(q, viewer, voting.my_votes(viewer, [q.id]))


def questions_page(result: Page, viewer: User | None) -> dict:
    """A page of questions: owners, tags and votes in a fixed number of queries."""
    votes = voting.my_votes(viewer, [q.id for q in result.items])
    return page(result, [question(q, viewer, votes) for q in result.items])


def comment(c: Comment) -> dict:
    """A comment."""
    return {
        "id": c.id,
        "post_id": c.post_id,
        "body_markdown": c.body_markdown,
        "body_html": shown_html(c.body_html),
        "owner": user_summary(c.owner),
        "created_at": isoformat(c.created_at),
    }


def answer(
    a: Answer,
    viewer: User | None,
    votes: dict[int, int],
    accepted_id: int | None,
    comments: list[Comment] | None = None,
) -> dict:
    """An answer; ``comments`` (detail views) adds its comments."""
    data: dict[str, Any] = {
        "id": a.id,
        "question_id": a.question_id,
        "body_markdown": a.body_markdown,
        "body_html": shown_html(a.body_html),
        "score": a.score,
        "is_accepted": accepted_id is not None and accepted_id == a.id,
        "owner": user_summary(a.owner),
        "created_at": isoformat(a.created_at),
    }
    _with_extras(data, a, viewer, votes)
    if comments is not None:
        data["comments"] = [comment(c) for c in comments]
    return data


def one_answer(a: Answer, viewer: User | None) -> dict:
    """An answer on its own (create, edit)."""
    votes = voting.my_votes(viewer, [a.id])
    return answer(a, viewer, votes, a.question.accepted_answer_id)


def post(p: Question | Answer, viewer: User | None) -> dict:
    """A question or an answer, whichever ``p`` is."""
    if isinstance(p, Question):
        return one_question(p, viewer)
    return one_answer(p, viewer)


def question_detail(q: Question, viewer: User | None) -> dict:
    """A question with its answers (accepted, then score, then oldest) and comments.

    Four queries whatever the size of the thread: answers, comments, votes, tags.
    """
    answers, comments_by_post = questions.thread(q, viewer)
    votes = voting.my_votes(viewer, [q.id] + [a.id for a in answers])
    data = question(q, viewer, votes)
    data["comments"] = [comment(c) for c in comments_by_post[q.id]]
    data["answers"] = [
        answer(a, viewer, votes, q.accepted_answer_id, comments_by_post[a.id])
        for a in answers
    ]
    return data


def question_summary(q: Question) -> dict:
    """The short form of a question in search hits and similar lists."""
    return {
        "id": q.id,
        "title": q.title,
        "tags": q.tag_names,
        "score": q.score,
        "answer_count": q.answer_count or 0,
        "accepted_answer_id": q.accepted_answer_id,
    }


def search_hit(h: Hit) -> dict:
    """A search hit: summary, highlight fragments, and the answer it came from."""
    data = question_summary(h.question)
    data["highlights"] = [str(fragment) for fragment in h.highlights]
    data["match"] = h.match
    if h.answer_id is not None:
        data["answer_id"] = h.answer_id
    return data


def similar_question(q: Question) -> dict:
    """A question similar to a draft: its summary and whether it is solved."""
    return {**question_summary(q), "is_solved": q.accepted_answer_id is not None}


def revision(r: Revision) -> dict:
    """One revision of a post: the full text after that edit."""
    return {
        "id": r.id,
        "post_id": r.post_id,
        "number": r.number,
        "author": user_summary(r.author),
        "created_at": isoformat(r.created_at),
        "summary": r.summary,
        "title": r.title,
        "body_markdown": r.body_markdown,
        "tags": r.tag_list,
    }


def revisions_page(result: Page) -> dict:
    """A page of revisions."""
    return page(result, [revision(r) for r in result.items])


def reputation_event(e: ReputationEvent) -> dict:
    """One ledger entry; ``reverses_id`` names the event it undoes (or null)."""
    return {
        "id": e.id,
        "user_id": e.user_id,
        "post_id": e.post_id,
        "kind": e.kind,
        "delta": e.delta,
        "created_at": isoformat(e.created_at),
        "reverses_id": e.reverses_id,
    }


def reputation_page(result: Page) -> dict:
    """A page of a user's reputation events."""
    return page(result, [reputation_event(e) for e in result.items])


def tags_page(result: Page) -> dict:
    """A page of ``(Tag, question_count)`` rows."""
    return page(result, [tag(t, count) for t, count in result.items])


def tag(t: Tag, question_count: int) -> dict:
    """One tag with its number of live questions."""
    return {"name": t.name, "question_count": question_count}


def synonym(s) -> dict:
    """One synonym: ``term`` also means ``replacement`` (and back if two-way)."""
    return {
        "id": s.id,
        "term": s.term,
        "replacement": s.replacement,
        "two_way": s.two_way,
        "created_at": isoformat(s.created_at),
    }


def badges_page(result: Page) -> dict:
    """A page of ``(Badge, awarded_count)`` rows."""
    return page(result, [badge(b, count) for b, count in result.items])


def badge(b, awarded_count: int) -> dict:
    """One badge with how many times it was awarded."""
    return {
        "name": b.name,
        "class": b.badge_class,
        "description": b.description,
        "awarded_count": awarded_count,
    }
