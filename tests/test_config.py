"""Configuration: defaults, instance/config.py, FORUM_* variables, the secret key."""

import stat

import pytest

from forum import create_app
from forum.search.query import MAX_QUERY_LENGTH
from tests.factories import make_comment, make_question, make_user


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Ignore FORUM_* settings of the shell running the tests."""
    for name in ("SECRET_KEY", "DATABASE_URL", "INSTANCE_PATH", "SEARCH_INDEX_DIR"):
        monkeypatch.delenv(f"FORUM_{name}", raising=False)


def build(tmp_path, **overrides):
    """Create an app whose instance folder is ``tmp_path/instance``."""
    return create_app(overrides or None, instance_path=str(tmp_path / "instance"))


def test_secret_key_is_generated_once_with_mode_0600(tmp_path):
    app = build(tmp_path)
    path = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text().strip()
    assert len(key) >= 64
    assert app.config["SECRET_KEY"] == key
    again = build(tmp_path)
    assert again.config["SECRET_KEY"] == key
    assert path.read_text().strip() == key


def test_secret_key_from_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_SECRET_KEY", "from-the-environment")
    app = build(tmp_path)
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_instance_config_file_is_read_and_the_environment_overrides_it(
    tmp_path, monkeypatch
):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        'SECRET_KEY = "from-the-file"\nQUESTIONS_PER_PAGE = 7\nTITLE_MIN_LENGTH = 20\n'
    )
    app = build(tmp_path)
    assert app.config["SECRET_KEY"] == "from-the-file"
    assert app.config["QUESTIONS_PER_PAGE"] == 7
    assert not (instance / "secret_key").exists()
    # FORUM_* values are parsed as JSON where they can be: 9 is a number.
    monkeypatch.setenv("FORUM_QUESTIONS_PER_PAGE", "9")
    app = build(tmp_path)
    assert app.config["QUESTIONS_PER_PAGE"] == 9
    assert app.config["TITLE_MIN_LENGTH"] == 20
    # The mapping given to create_app (tests) comes last.
    assert build(tmp_path, QUESTIONS_PER_PAGE=3).config["QUESTIONS_PER_PAGE"] == 3


def test_database_defaults_to_sqlite_under_the_instance_folder(tmp_path):
    app = build(tmp_path)
    instance = tmp_path / "instance"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{instance / 'forum.sqlite'}"
    )
    assert app.config["SEARCH_INDEX_DIR"] == str(instance / "search-index")


def test_database_url_from_the_environment(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    monkeypatch.setenv("FORUM_DATABASE_URL", url)
    monkeypatch.setenv("FORUM_SEARCH_INDEX_DIR", str(tmp_path / "index"))
    app = build(tmp_path)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == url
    assert app.config["SEARCH_INDEX_DIR"] == str(tmp_path / "index")


def test_instance_path_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "srv"))
    monkeypatch.setenv("FORUM_SECRET_KEY", "x" * 32)
    app = create_app()
    assert app.instance_path == str(tmp_path / "srv")
    assert (tmp_path / "srv").is_dir()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("/srv/forum.sqlite")


LIMITS = {
    "TITLE_MIN_LENGTH": 20,
    "TITLE_MAX_LENGTH": 120,
    "BODY_MIN_LENGTH": 40,
    "BODY_MAX_LENGTH": 20000,
    "ANSWER_MIN_LENGTH": 50,
    "ANSWER_MAX_LENGTH": 10000,
    "COMMENT_MIN_LENGTH": 10,
    "COMMENT_MAX_LENGTH": 500,
    "EDIT_SUMMARY_MAX_LENGTH": 200,
    "TAGS_MIN": 2,
    "TAGS_MAX": 4,
    "TAG_MAX_LENGTH": 25,
    "USERNAME_MIN_LENGTH": 4,
    "USERNAME_MAX_LENGTH": 25,
    "PASSWORD_MIN_LENGTH": 12,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "API_PER_PAGE": 25,
    "API_MAX_PER_PAGE": 50,
}


def html(client, url: str) -> str:
    """GET a page that must exist and return its HTML."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_hints_and_the_api_description_follow_the_configured_limits(
    app, app_ctx, client, auth
):
    author = make_user()
    question = make_question(author)
    comment = make_comment(question, author)
    app.config.update(LIMITS)
    signup = html(client, "/signup")
    assert "4–25 letters, digits" in signup and 'maxlength="25"' in signup
    assert "At least 12 characters." in signup
    assert f'maxlength="{MAX_QUERY_LENGTH}"' in signup  # the search box
    auth.login(author.username)
    ask = html(client, "/questions/ask")
    assert "20–120 characters." in ask and 'maxlength="120"' in ask
    assert "At least 40 characters." in ask and "2–4 tags" in ask
    edit = html(client, f"/posts/{question.id}/edit")
    assert "Be specific: 20–120 characters." in edit and "2–4 tags" in edit
    assert 'maxlength="200"' in edit
    page = html(client, f"/questions/{question.id}/{question.slug}")
    assert "10–500 characters." in page and "At least 50 characters." in page
    edit_comment = html(client, f"/comments/{comment.id}/edit")
    assert "10–500 characters." in edit_comment and 'maxlength="500"' in edit_comment

    document = client.get("/api/v1/openapi.json").json
    assert "(at most 2 MB)" in document["info"]["description"]

    def described(path: str, method: str) -> dict:
        body = document["paths"][path][method]["requestBody"]
        return body["content"]["application/json"]["schema"]["properties"]

    assert described("/questions", "post")["title"]["description"] == (
        "20-120 characters."
    )
    assert described("/questions", "post")["body"]["description"] == (
        "Markdown, 40-20,000 characters."
    )
    assert described("/questions/{question_id}/answers", "post")["body"] == {
        "type": "string",
        "description": "Markdown, 50-10,000 characters.",
    }
    assert described("/posts/{post_id}/comments", "post")["body"]["description"] == (
        "10-500 characters."
    )
    edit_fields = described("/posts/{post_id}", "patch")
    assert edit_fields["summary"]["description"] == "At most 200 characters."
    assert edit_fields["tags"]["description"].startswith(
        "2-4 tag names of at most 25 characters;"
    )
    register = document["paths"]["/users"]["post"]["description"]
    assert "Username 4-25 of" in register and "at least 12 characters" in register
    components = document["components"]
    assert components["parameters"]["PerPage"]["schema"]["maximum"] == 50
    assert components["parameters"]["PerPage"]["schema"]["default"] == 25
    envelope = components["schemas"]["ListEnvelope"]["properties"]
    assert envelope["per_page"]["maximum"] == 50
    assert components["responses"]["PayloadTooLarge"]["description"] == (
        "The body is over 2 MB."
    )
