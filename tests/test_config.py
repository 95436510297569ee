"""Configuration: defaults, instance/config.py, FORUM_* variables, the secret key."""

import stat

import pytest

from forum import create_app


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
