"""The search syntax, operator by operator, on a small real corpus."""

from datetime import datetime

import pytest

from forum import search
from forum.extensions import db
from forum.models import utcnow
from forum.services import voting
from tests.factories import make_answer, make_question, make_user
from tests.helpers import found, found_all

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def corpus(app_ctx):
    """Four questions: solved, unanswered, voted up, and an old closed one.

    Built with indexing left to one drain at the end (one index commit).
    """
    alice = make_user(username="alice")
    bob = make_user(username="bob")
    printer = make_question(
        alice,
        title="Printer shows offline after reboot",
        body="My printer at the café shows offline every morning since the update.",
        tags="printer windows",
    )
    wifi = make_question(
        bob,
        title="Wifi drops every hour on the laptop",
        body="The wifi connection drops every hour and the network icon turns grey.",
        tags="wifi network",
    )
    fix = make_answer(
        wifi, body="Update the adapter driver and turn off power saving for it."
    )
    voting.accept_answer(bob, wifi, fix)
    scanner = make_question(
        bob,
        title="Scanner cannot reach the network share",
        body="The office scanner says the network share is unreachable when saving.",
        tags="scanner network",
    )
    for _ in range(3):
        voting.cast_vote(make_user(reputation=20), scanner, 1)
    old = make_question(
        alice,
        title="Monitor flickers when the laptop is docked",
        body="The external monitor flickers black for a second whenever I dock.",
        tags="monitor",
    )
    old.created_at = datetime(2025, 3, 10, 9, 30)
    old.closed_at = utcnow()
    old.closed_reason = "off-topic"
    search.enqueue(old.id)
    db.session.commit()
    search.drain()
    return {
        "printer": printer,
        "wifi": wifi,
        "fix": fix,
        "scanner": scanner,
        "old": old,
        "alice": alice,
        "bob": bob,
    }


def ids(corpus, *names: str) -> set[int]:
    """The ids of the named corpus questions."""
    return {corpus[name].id for name in names}


def test_free_words_must_all_match(corpus):
    assert set(found_all("network")) == ids(corpus, "wifi", "scanner")
    assert set(found_all("network scanner")) == ids(corpus, "scanner")
    assert found_all("network printer") == []


def test_exact_phrase(corpus):
    assert found('"shows offline"') == [corpus["printer"].id]
    assert found('"offline shows"') == []


def test_excluded_words(corpus):
    assert set(found("network -wifi")) == ids(corpus, "scanner")
    assert set(found('network -"icon turns grey"')) == ids(corpus, "scanner")
    assert set(found("network -[wifi]")) == ids(corpus, "scanner")


def test_or(corpus):
    assert set(found("printer OR scanner")) == ids(corpus, "printer", "scanner")
    assert set(found("printer OR scanner OR grey")) == ids(
        corpus, "printer", "wifi", "scanner"
    )
    assert set(found("network share OR icon")) == ids(corpus, "wifi", "scanner")


def test_tags_in_brackets_and_tag_operator(corpus):
    assert set(found("[network]")) == ids(corpus, "wifi", "scanner")
    assert set(found("tag:network")) == ids(corpus, "wifi", "scanner")
    assert found("[network] share") == [corpus["scanner"].id]
    assert found("[Printer]") == [corpus["printer"].id]
    assert found("[nosuchtag]") == []


def test_user_by_name_and_by_id(corpus):
    alice, bob = corpus["alice"], corpus["bob"]
    assert set(found("user:alice")) == ids(corpus, "printer", "old")
    assert set(found("user:ALICE")) == ids(corpus, "printer", "old")
    assert set(found(f"user:{bob.id}")) == ids(corpus, "wifi", "scanner")
    assert found(f"user:{alice.id} monitor") == [corpus["old"].id]
    assert found("user:nobody") == []


def test_user_finds_questions_they_answered(corpus):
    answerer = corpus["fix"].owner
    assert found(f"user:{answerer.username}") == [corpus["wifi"].id]


def test_is_question_and_is_answer(corpus):
    # "adapter" is only in the answer, "grey" only in the question.
    assert found("adapter") == [corpus["wifi"].id]
    assert found("is:answer adapter") == [corpus["wifi"].id]
    assert found("is:question adapter") == []
    assert found("is:question grey") == [corpus["wifi"].id]
    assert found("is:answer grey") == []


def test_hit_through_an_answer_names_it(corpus):
    (hit,) = search.search("adapter").hits
    assert hit.answer_id == corpus["fix"].id
    assert "<mark>adapter</mark>" in str(hit.highlights[0])


def test_solved_and_unsolved(corpus):
    assert found("is:solved") == [corpus["wifi"].id]
    assert set(found("is:unsolved")) == ids(corpus, "printer", "scanner", "old")
    assert found("is:unsolved network") == [corpus["scanner"].id]


def test_answers_count(corpus):
    assert set(found("answers:0")) == ids(corpus, "printer", "scanner", "old")
    assert found("answers:1") == [corpus["wifi"].id]
    assert found("answers:1..") == [corpus["wifi"].id]
    assert found("answers:2..") == []


def test_score(corpus):
    assert found("score:3") == [corpus["scanner"].id]
    assert found("score:3..") == [corpus["scanner"].id]
    assert found("score:4") == []
    assert set(found("score:..0")) == ids(corpus, "printer", "wifi", "old")
    assert found("score:1..3") == [corpus["scanner"].id]


def test_created_ranges(corpus):
    year = utcnow().year
    assert found("created:2025-01..2025-06") == [corpus["old"].id]
    assert found("created:2025-03") == [corpus["old"].id]
    assert found("created:2025-03-10") == [corpus["old"].id]
    assert found("created:2025-04..2025-06") == []
    assert corpus["old"].id not in found(f"created:{year}..")
    assert set(found(f"created:{year}")) == ids(corpus, "printer", "wifi", "scanner")


def test_ranges_beside_words_test_each_match(corpus):
    # Beside words or filters a range tests the matches' columns instead of
    # enumerating its own terms: the same answers either way.
    assert found("network score:3..") == [corpus["scanner"].id]
    assert found("network score:..0") == [corpus["wifi"].id]
    assert found("network -score:3..") == [corpus["wifi"].id]
    assert found("network answers:0") == [corpus["scanner"].id]
    assert set(found("laptop created:2025-03")) == ids(corpus, "old")
    assert found("laptop created:2025-03-11..") == [corpus["wifi"].id]
    assert found("[monitor] created:2025-03-10") == [corpus["old"].id]
    assert found("[monitor] created:2025-03-09") == []
    assert found("laptop score:3.. created:2025") == []
    result = search.search("network answers:0")
    assert (result.total, result.exact_total) == (1, True)


def test_closed(corpus):
    assert set(found("closed:no")) == ids(corpus, "printer", "wifi", "scanner")
    assert found("closed:yes") == [corpus["old"].id]
    assert found("closed:no monitor") == []


def test_operators_combine(corpus):
    query = "network is:unsolved score:3.. [scanner] closed:no -wifi"
    assert found(query) == [corpus["scanner"].id]


def test_stemming_and_accent_folding(corpus):
    assert found("printers") == [corpus["printer"].id]
    assert found("connections drop") == [corpus["wifi"].id]
    assert found("shares") == [corpus["scanner"].id]
    assert found("cafe") == [corpus["printer"].id]
    assert found("CAFÉ") == [corpus["printer"].id]


def test_unknown_operators_are_words(corpus):
    assert found_all("foo:bar printer") == []  # "foo" and "bar" must match too
    assert found_all("printer:offline") == [corpus["printer"].id]
    assert found_all("is:nonsense printer") == []
    assert found_all("score:lots scanner") == []
    assert found_all("created:yesterday") == []


@pytest.mark.parametrize(
    "raw",
    [
        '"printer offline',
        'printer "',
        "[printer",
        "printer]",
        "[[printer]]",
        '"[printer',
        "printer (offline",
        "printer -",
        "OR printer",
        "printer OR",
    ],
)
def test_unbalanced_quotes_and_brackets_are_words(corpus, raw):
    assert found(raw) == [corpus["printer"].id]


ODD_QUERIES = [
    "print*",
    "printer*",
    "*",
    "?rinter",
    "printer~",
    "printer~2",
    "pr*nt*r~",
    "*" * 200,
    "~" * 200,
    "a* b* c* d* e* f*",
    "\x00",
    "printer\x00",
    "\udcff",
    "\ufffd\ufffd",
    '"""',
    "[]",
    "-",
    "OR",
    "OR OR OR",
    "::",
    "user:",
    "tag:",
    "created:..",
    "score:..",
    "answers:-1",
    "score:99999999999999999999",
    "score:-99999999999999999999..99999999999999999999",
    "created:9999-99-99",
    "created:2025-02-30",
    "created:0001..9999",
    "created:0",
    "is:",
    "-is:answer",
    "NOT printer AND",
    "(printer)",
    "title:printer",
    "printer^5",
    "{printer TO z}",
    "\\",
    "%",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
]


def test_odd_queries_never_raise(corpus):
    for raw in ODD_QUERIES:
        for sort in search.SORTS:
            result = search.search(raw, sort)
            assert result.total >= 0 and isinstance(result.hits, list), raw


def test_wildcard_and_fuzzy_characters_do_not_explode(corpus):
    # No wildcard or fuzzy expansion: one term each, never the whole vocabulary.
    assert found_all("printer~") == [corpus["printer"].id]
    assert found_all("printer~ offline*") == []
    assert search.search("*" * 300).total >= 0


def test_over_long_query_is_truncated(corpus):
    result = search.search("printer " + "offline " * 5000)
    assert [hit.question.id for hit in result.hits] == [corpus["printer"].id]
    assert search.search("x" * 100_000).total == 0


def test_many_terms_are_capped(corpus):
    assert found(" ".join(["printer"] * 500)) == [corpus["printer"].id]


def test_empty_query_finds_nothing(corpus):
    for raw in ("", "   ", "\t\n"):
        result = search.search(raw)
        assert result.hits == [] and result.total == 0


def test_sorts(corpus):
    assert found("network", "votes")[0] == corpus["scanner"].id
    assert found("is:unsolved", "newest")[-1] == corpus["old"].id
    with pytest.raises(Exception) as error:
        search.search("network", "loudest")
    assert getattr(error.value, "status", None) == 400


def test_did_you_mean(corpus):
    result = search.search("pritner")
    assert result.total == 0 and result.suggestion == "printer"
    assert search.search("printer").suggestion is None


def test_words_in_the_question_rank_before_words_only_in_answers(app):
    # Two tiers: the title or body holding the words first, then threads that
    # hold them only in answers or comments, however often.
    in_answer = make_question(
        title="Label maker feeds crooked", body="It jams on every second sheet I feed."
    )
    make_answer(in_answer, body="Kumquat rollers: clean the kumquat kumquat rollers.")
    in_body = make_question(
        title="Label printer smudges", body="It smudges since I put it near a kumquat."
    )
    in_title = make_question(
        title="Kumquat rollers squeak", body="They squeak loudly since last Monday."
    )
    search.drain()
    assert found("kumquat") == [in_title.id, in_body.id, in_answer.id]
    pages = [search.search("kumquat", page=n, per_page=1) for n in (1, 2, 3, 4)]
    # A page filled by the first tier estimates the total (and says so) ...
    assert [hit.question.id for hit in pages[0].hits] == [in_title.id]
    assert not pages[0].exact_total and pages[0].total >= 3
    # ... a page that reaches the second tier counts both exactly.
    assert [hit.question.id for hit in pages[2].hits] == [in_answer.id]
    assert (pages[2].total, pages[2].exact_total) == (3, True)
    assert pages[3].hits == [] and pages[3].total == 3
    assert [hit.question.id for hit in pages[1].hits] == [in_body.id]
    # Other orders and is:answer / is:question search one set.
    assert found("kumquat", "newest") == [in_title.id, in_body.id, in_answer.id]
    assert found("kumquat is:answer") == [in_answer.id]
    assert set(found("kumquat is:question")) == {in_title.id, in_body.id}


def test_common_words_rank_what_rarer_words_find(app):
    app.config.update(SEARCH_COMMON_SHARE=0.5, SEARCH_COMMON_MIN=1)
    made = [
        make_question(title=f"Kumquat printer model {n} is slow", body=BODY)
        for n in range(4)
    ]
    rollers = make_question(title="Rollers squeak on the kumquat", body=BODY)
    plain = make_question(title="Rollers squeak on the scanner", body=BODY)
    search.drain()
    # "kumquat" is in 5 of 6 questions: beside "rollers" it only ranks.
    assert found_all("kumquat rollers") == [rollers.id, plain.id]
    assert found_all("rollers kumquat") == [rollers.id, plain.id]
    # Alone, or with only common words, every word must match.
    assert len(found_all("kumquat")) == 5 and plain.id not in found_all("kumquat")
    assert set(found_all("kumquat slow printer")) == {q.id for q in made}
    # A phrase is never demoted.
    assert found_all('"on the kumquat" rollers') == [rollers.id]
    # Below the minimum size, no word is common.
    app.config["SEARCH_COMMON_MIN"] = 1000
    assert found_all("kumquat rollers") == [rollers.id]


BODY = "It started after the firmware update of last week, every single day."


def test_relevance_search_stops_after_enough_matches_newest_first(app):
    # One segment per drain (merging is off): the oldest holds the best match.
    app.config.update(SEARCH_MERGE_MIN_SEGMENTS=100)
    best = make_question(
        title="Kumquat kumquat kumquat", body="Kumquat rollers, kumquat feed."
    )
    search.drain()
    older = [make_question(title=f"Kumquat printer model {n}") for n in range(2)]
    search.drain()
    newest = [make_question(title=f"Kumquat scanner model {n}") for n in range(2)]
    search.drain()

    def page(number: int):
        return search.search("kumquat", page=number, per_page=2)

    app.config.update(SEARCH_SCAN_MATCHES=2)
    # The newest segment reached 2 matches: only its questions rank, and the
    # total is extrapolated from the share of the index searched.
    result = page(1)
    assert {hit.question.id for hit in result.hits} == {q.id for q in newest}
    assert not result.exact_total and result.total == round(2 * 5 / 2)
    # A later page needs more matches, so the search goes on.
    assert {hit.question.id for hit in page(2).hits} == {q.id for q in older}
    assert [hit.question.id for hit in page(3).hits] == [best.id]
    app.config.update(SEARCH_SCAN_MATCHES=0)  # off: every match ranks
    result = search.search("kumquat")
    assert result.hits[0].question.id == best.id
    assert (result.total, result.exact_total) == (5, True)


def test_snippets_show_the_matches_of_long_posts(app):
    filler = "Nothing to see in this sentence at all. " * 60
    question = make_question(
        title="Label maker feeds crooked",
        body=filler + "Then it printed `<script>alert(1)</script>` on every kumquat "
        "label, and kumquats again. " + filler,
    )
    make_answer(question, body="Happy to help: " + filler + " the kumquat feed.")
    search.drain()
    (hit,) = search.search("kumquat").hits
    (snippet,) = hit.highlights
    assert "<mark>kumquat</mark>" in snippet and "<mark>kumquats</mark>" in snippet
    assert "&lt;/script&gt;" in snippet and "</script>" not in snippet
    assert len(snippet) < 600
    (hit,) = search.search("happiness is:answer").hits  # stem "happi"
    assert "<mark>Happy</mark>" in hit.highlights[0]
