"""A small Stack Exchange dump, written by the tests (no external data needed).

It holds the quirks of the real dumps: the Community user (-1), a post of a
deleted user (only OwnerDisplayName), HTML bodies with a script and code,
votes, comments and links pointing at missing posts, tag excerpt posts,
duplicate links (two on one question) and PostHistory revisions.
"""

from pathlib import Path
from xml.sax.saxutils import quoteattr

SITE = "support.example.com"
SITE_URL = f"https://{SITE}"

USERS = [
    {
        "Id": "-1",
        "Reputation": "1",
        "CreationDate": "2010-08-25T18:10:17.000",
        "DisplayName": "Community",
        "AboutMe": "<p>I'm not really a person.</p>",
    },
    {
        "Id": "2",
        "Reputation": "101",
        "CreationDate": "2010-08-26T10:00:00.000",
        "DisplayName": "Alice Asker",
        "Location": "Lisbon",
        "WebsiteUrl": "https://alice.example.org",
        "AboutMe": "<p>I ask <b>good</b> questions.</p>",
    },
    {
        "Id": "3",
        "Reputation": "250",
        "CreationDate": "2010-08-27T10:00:00.000",
        "DisplayName": "Bob Answerer",
    },
    {
        "Id": "4",
        "Reputation": "1",
        "CreationDate": "2011-01-02T10:00:00.000",
        "DisplayName": "Alice Asker",
    },
]

Q1_BODY = (
    "<p>My router <b>hangs</b> every evening.</p>\n"
    "<script>alert('owned')</script>\n"
    '<pre class="lang-sh prettyprint-override"><code>ping 192.168.0.1\n'
    "</code></pre>\n<p>How do I reset it?</p>"
)
POSTS = [
    {
        "Id": "1",
        "PostTypeId": "1",
        "AcceptedAnswerId": "3",
        "CreationDate": "2021-04-27T15:06:44.553",
        "Score": "5",
        "ViewCount": "120",
        "Body": Q1_BODY,
        "OwnerUserId": "2",
        "LastEditDate": "2021-04-28T08:00:00.000",
        "LastActivityDate": "2021-05-01T09:00:00.000",
        "Title": "How do I reset my router to factory settings?",
        "Tags": "<router><wifi>",
        "AnswerCount": "3",
        "CommentCount": "1",
        "ContentLicense": "CC BY-SA 4.0",
    },
    {
        "Id": "2",
        "PostTypeId": "1",
        "CreationDate": "2010-09-01T12:00:00.000",
        "Score": "-1",
        "ViewCount": "30",
        "Body": "<p>The wifi drops at night.</p>",
        "OwnerDisplayName": "Gone Gary",
        "LastActivityDate": "2010-09-02T12:00:00.000",
        "Title": "Router keeps dropping the wifi connection at night",
        "Tags": "|wifi|",
        "AnswerCount": "0",
        "CommentCount": "0",
        "ClosedDate": "2010-09-03T12:00:00.000",
    },
    {
        "Id": "3",
        "PostTypeId": "2",
        "ParentId": "1",
        "CreationDate": "2021-04-27T16:00:00.000",
        "Score": "7",
        "Body": "<p>Hold the <code>reset</code> button for 30 seconds.</p>",
        "OwnerUserId": "3",
        "LastActivityDate": "2021-04-27T16:00:00.000",
        "CommentCount": "1",
        "ContentLicense": "CC BY-SA 4.0",
    },
    {
        "Id": "4",
        "PostTypeId": "2",
        "ParentId": "1",
        "CreationDate": "2021-04-28T16:00:00.000",
        "Score": "0",
        "Body": "<p>See the manual, section 4.</p>",
        "OwnerUserId": "-1",
        "LastActivityDate": "2021-04-28T16:00:00.000",
        "CommentCount": "0",
        "ContentLicense": "CC BY-SA 4.0",
    },
    {
        "Id": "5",
        "PostTypeId": "2",
        "ParentId": "999",
        "CreationDate": "2021-04-28T17:00:00.000",
        "Score": "1",
        "Body": "<p>An answer to a deleted question.</p>",
        "OwnerUserId": "3",
        "LastActivityDate": "2021-04-28T17:00:00.000",
        "CommentCount": "0",
    },
    {
        "Id": "6",
        "PostTypeId": "1",
        "CreationDate": "2021-05-02T10:00:00.000",
        "Score": "2",
        "ViewCount": "45",
        "Body": "<ul><li>HP LaserJet</li><li>Brother HL-L2350</li></ul>",
        "OwnerUserId": "3",
        "LastActivityDate": "2021-05-02T10:00:00.000",
        "Title": "Which printer works best with Linux drivers?",
        "Tags": "<printer>",
        "AnswerCount": "0",
        "CommentCount": "0",
        "ContentLicense": "CC BY-SA 4.0",
    },
    {
        "Id": "7",
        "PostTypeId": "4",
        "CreationDate": "2021-05-02T10:00:00.000",
        "Score": "0",
        "Body": "<p>Questions about home <b>routers</b>.</p>",
    },
    {
        "Id": "8",
        "PostTypeId": "5",
        "CreationDate": "2021-05-02T10:00:00.000",
        "Score": "0",
        "Body": "<p>A long wiki about routers.</p>",
    },
    {
        "Id": "9",
        "PostTypeId": "6",
        "CreationDate": "2021-05-02T10:00:00.000",
        "Score": "0",
        "Body": "<p>A moderator nomination.</p>",
    },
]

TAGS = [
    {
        "Id": "1",
        "TagName": "router",
        "Count": "1",
        "ExcerptPostId": "7",
        "WikiPostId": "8",
    },
    {"Id": "2", "TagName": "wifi", "Count": "2"},
    {"Id": "3", "TagName": "printer", "Count": "1"},
    {"Id": "4", "TagName": "Bad Tag!", "Count": "0"},
]

VOTES = (
    [{"PostId": "1", "VoteTypeId": "2"}] * 6
    + [{"PostId": "1", "VoteTypeId": "3"}]
    + [{"PostId": "3", "VoteTypeId": "2"}] * 7
    + [{"PostId": "2", "VoteTypeId": "3"}]
    + [{"PostId": "777", "VoteTypeId": "2"}] * 2  # a deleted post
    + [{"PostId": "3", "VoteTypeId": "1"}, {"PostId": "1", "VoteTypeId": "5"}]
)

COMMENTS = [
    {
        "Id": "1",
        "PostId": "1",
        "Score": "0",
        "Text": "Which model is it?",
        "CreationDate": "2021-04-27T15:30:00.000",
        "UserId": "3",
    },
    {
        "Id": "2",
        "PostId": "3",
        "Score": "1",
        "Text": "This worked for me, `thanks`!",
        "CreationDate": "2021-04-27T17:00:00.000",
        "UserDisplayName": "Gone Gary",
    },
    {
        "Id": "3",
        "PostId": "555",
        "Score": "0",
        "Text": "On a deleted post.",
        "CreationDate": "2021-04-27T17:00:00.000",
        "UserId": "2",
    },
]

BADGES = [
    {"Id": "1", "UserId": "2", "Name": "Student", "Class": "3"},
    {"Id": "2", "UserId": "3", "Name": "Teacher", "Class": "3"},
    {"Id": "3", "UserId": "2", "Name": "Autobiographer", "Class": "3"},
    {"Id": "4", "UserId": "3", "Name": "Supporter", "Class": "3"},
    {"Id": "5", "UserId": "42", "Name": "Student", "Class": "3"},
    {"Id": "6", "UserId": "3", "Name": "Nice Answer", "Class": "3"},
    {"Id": "7", "UserId": "3", "Name": "wifi", "Class": "2", "TagBased": "True"},
]

LINKS = [
    {"Id": "10", "PostId": "2", "RelatedPostId": "1", "LinkTypeId": "3"},
    {"Id": "11", "PostId": "2", "RelatedPostId": "6", "LinkTypeId": "3"},
    {"Id": "12", "PostId": "6", "RelatedPostId": "1", "LinkTypeId": "1"},
    {"Id": "13", "PostId": "6", "RelatedPostId": "404", "LinkTypeId": "1"},
]

HISTORY = [
    {
        "Id": "1",
        "PostHistoryTypeId": "1",
        "PostId": "1",
        "RevisionGUID": "g1",
        "CreationDate": "2021-04-27T15:06:44.553",
        "UserId": "2",
        "Text": "How do I reset my router?",
    },
    {
        "Id": "2",
        "PostHistoryTypeId": "2",
        "PostId": "1",
        "RevisionGUID": "g1",
        "CreationDate": "2021-04-27T15:06:44.553",
        "UserId": "2",
        "Text": "My router hangs every evening.",
    },
    {
        "Id": "3",
        "PostHistoryTypeId": "3",
        "PostId": "1",
        "RevisionGUID": "g1",
        "CreationDate": "2021-04-27T15:06:44.553",
        "UserId": "2",
        "Text": "<router><wifi>",
    },
    {
        "Id": "4",
        "PostHistoryTypeId": "4",
        "PostId": "1",
        "RevisionGUID": "g2",
        "CreationDate": "2021-04-28T08:00:00.000",
        "UserId": "3",
        "Comment": "clearer title",
        "Text": "How do I reset my router to factory settings?",
    },
    {
        "Id": "5",
        "PostHistoryTypeId": "10",
        "PostId": "2",
        "RevisionGUID": "g3",
        "CreationDate": "2010-09-03T12:00:00.000",
        "UserId": "3",
        "Comment": "101",
    },
    {
        "Id": "6",
        "PostHistoryTypeId": "2",
        "PostId": "888",
        "RevisionGUID": "g4",
        "CreationDate": "2010-09-03T12:00:00.000",
        "UserId": "3",
        "Text": "Gone.",
    },
]

FILES = {
    "Users.xml": ("users", USERS),
    "Posts.xml": ("posts", POSTS),
    "Tags.xml": ("tags", TAGS),
    "Votes.xml": ("votes", VOTES),
    "Comments.xml": ("comments", COMMENTS),
    "Badges.xml": ("badges", BADGES),
    "PostLinks.xml": ("postlinks", LINKS),
    "PostHistory.xml": ("posthistory", HISTORY),
}


def row_xml(attrs: dict) -> str:
    """One ``<row .../>`` line, attributes escaped as the dumps do."""
    parts = " ".join(f"{name}={quoteattr(value)}" for name, value in attrs.items())
    return f"  <row {parts} />"


def write_dump(folder: Path, only: tuple[str, ...] | None = None) -> Path:
    """Write the dump's files (or ``only`` some of them) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (root, rows) in FILES.items():
        if only is not None and name not in only:
            continue
        lines = ['\ufeff<?xml version="1.0" encoding="utf-8"?>', f"<{root}>"]
        for number, attrs in enumerate(rows, start=1):
            attrs = dict(attrs)
            attrs.setdefault("Id", str(number))
            if root == "votes":
                attrs.setdefault("CreationDate", "2021-04-28T00:00:00.000")
            if root == "badges":
                attrs.setdefault("Date", "2021-05-03T00:00:00.000")
                attrs.setdefault("TagBased", "False")
            if root == "postlinks":
                attrs.setdefault("CreationDate", "2021-05-03T00:00:00.000")
            lines.append(row_xml(attrs))
        lines.append(f"</{root}>")
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
