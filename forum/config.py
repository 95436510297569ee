"""Default configuration: safe defaults and every tunable rule of the site.

Load order (later wins): DefaultConfig, ``instance/config.py``, ``FORUM_*``
environment variables (``FORUM_DATABASE_URL`` -> ``DATABASE_URL``), then the
mapping passed to ``create_app`` (tests).
"""

from datetime import timedelta


class DefaultConfig:
    """Defaults for a single machine: SQLite and Whoosh under ``instance/``."""

    # Storage. None means "build a path under the instance folder".
    DATABASE_URL = None
    SEARCH_INDEX_DIR = None
    # The sentence model's folder (`flask --app forum search model install`
    # fills it); None: instance/models/all-MiniLM-L6-v2.
    SEARCH_MODEL_DIR = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # While the database is unreachable or busy, requests answer 503 and ask
    # clients to come back after this many seconds.
    UNAVAILABLE_RETRY_AFTER = 5
    # An API write's Idempotency-Key and its response are kept this long
    # (`sessions prune` deletes older ones).
    IDEMPOTENCY_KEY_HOURS = 24
    # Log lines to standard error: "text", or "json" (one object a line).
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"
    # Flask-Compress: static files and JSON only. HTML pages are left alone:
    # they carry the CSRF token beside text a visitor chose (BREACH).
    COMPRESS_MIMETYPES = [
        "text/css",
        "text/javascript",
        "application/javascript",
        "image/svg+xml",
        "application/json",
    ]
    # SQLite: the longest one statement waits for another writer's lock. A
    # request waits for it twice at most (one retry), under the app server's
    # 30 s timeout, and then answers 503.
    SQLITE_BUSY_SECONDS = 10

    # Secrets: None means "generate one into instance/secret_key on first start".
    SECRET_KEY = None

    # Requests and cookies.
    MAX_CONTENT_LENGTH = 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    WTF_CSRF_TIME_LIMIT = None  # valid for the session's life
    WTF_CSRF_SSL_STRICT = False  # the API also accepts cookie sessions behind proxies

    # HTTPS and the reverse proxy (docs/operations.md#behind-a-reverse-proxy).
    # "https": the site is served over HTTPS only (HSTS, Secure cookies).
    PREFERRED_URL_SCHEME = "http"
    # Werkzeug ProxyFix arguments, e.g. {"x_for": 1, "x_proto": 1}: how many
    # proxies to trust per X-Forwarded-* header. Empty: trust none.
    PROXY_FIX: dict[str, int] = {}
    # Strict-Transport-Security max-age on HTTPS responses; 0: no HSTS.
    HSTS_MAX_AGE = 31536000
    REFERRER_POLICY = "strict-origin-when-cross-origin"

    # Accounts.
    USERNAME_MIN_LENGTH = 3
    USERNAME_MAX_LENGTH = 30
    DISPLAY_NAME_MAX_LENGTH = 50
    PASSWORD_MIN_LENGTH = 10
    PASSWORD_MAX_LENGTH = 1024
    # Werkzeug's scrypt (N=2**15, r=8, p=1); tests use a cheaper N.
    PASSWORD_HASH_METHOD = "scrypt"
    # zxcvbn's score (0-4) a new password needs; 3 refuses common passwords and
    # ones built from the username, email or display name.
    PASSWORD_MIN_STRENGTH = 3
    # A sign-in (browser session or "remember me") unused this long ends.
    SESSION_IDLE_DAYS = 30
    # API bearer tokens expire this many days after they are issued.
    API_TOKEN_DAYS = 90
    API_TOKEN_NAME_MAX_LENGTH = 50
    # A sign-in's or token's last use is written at most this often.
    LAST_SEEN_SECONDS = 300
    ABOUT_MAX_LENGTH = 5000
    LOCATION_MAX_LENGTH = 100
    WEBSITE_MAX_LENGTH = 200
    EMAIL_MAX_LENGTH = 254

    # Posts.
    TITLE_MIN_LENGTH = 15
    TITLE_MAX_LENGTH = 150
    BODY_MIN_LENGTH = 30
    BODY_MAX_LENGTH = 30000
    ANSWER_MIN_LENGTH = 30
    ANSWER_MAX_LENGTH = 30000
    COMMENT_MIN_LENGTH = 15
    COMMENT_MAX_LENGTH = 600
    EDIT_SUMMARY_MAX_LENGTH = 300
    TAGS_MIN = 1
    TAGS_MAX = 5
    TAG_MAX_LENGTH = 35

    # Hosts whose images posts may load (FORUM_IMAGE_HOSTS="i.example,cdn.example");
    # images from any other host are shown as links. Relative images always load.
    IMAGE_HOSTS: tuple[str, ...] = ()

    # Lists.
    QUESTIONS_PER_PAGE = 30
    REVISIONS_PER_PAGE = 20  # a post's history, with a diff each
    USERS_PER_PAGE = 36
    TAGS_PER_PAGE = 60
    API_PER_PAGE = 30
    API_MAX_PER_PAGE = 100

    # A visitor counts as one view per question per this many seconds.
    VIEW_WINDOW_SECONDS = 3600

    # Load the demo content into an empty database when ``make run`` starts
    # (``flask --app forum demo load --if-enabled`` checks this flag).
    DEMO_CONTENT = True

    # Reputation: delta per ledger event kind (Stack Exchange's rules).
    REPUTATION = {
        "question_upvoted": 10,
        "answer_upvoted": 10,
        "answer_accepted": 15,
        "accepted_answer": 2,
        "post_downvoted": -2,
        "downvoted_answer": -1,
        "spam_penalty": -100,
    }
    # At most this much a UTC day from upvotes (accepts are not capped).
    REPUTATION_DAILY_CAP = 200

    # Privileges earned by reputation (staff have all).
    PRIVILEGES = {
        "ask": 1,
        "answer": 1,
        "comment_own": 1,
        "vote_up": 15,
        "flag": 15,
        "comment": 50,
        "vote_down": 125,
        "retag": 500,
        "view_vote_counts": 500,
        "edit": 1000,
        "close": 2000,
    }

    # The rank ladder: (minimum reputation, name), lowest first.
    RANKS = [
        (1, "Newcomer"),
        (50, "Contributor"),
        (200, "Helper"),
        (1000, "Expert"),
        (5000, "Guru"),
    ]

    # Badges: what each rule needs (a score, a view count or how many posts);
    # the rules themselves live in forum/services/badge_rules.py.
    BADGES = {
        "student": 1,  # question score
        "teacher": 1,  # answer score
        "commentator": 10,  # live comments
        "nice-question": 10,
        "good-question": 25,
        "great-question": 100,
        "nice-answer": 10,
        "good-answer": 25,
        "great-answer": 100,
        "popular-question": 1000,  # views
        "notable-question": 2500,
        "famous-question": 10000,
        "enlightened": 10,  # score of an accepted answer
        "solution-provider": 10,  # accepted answers
        "troubleshooter": 10,  # first answers to questions left unanswered
    }
    # Troubleshooter: how long a question must have waited for its first answer.
    BADGE_UNANSWERED_DAYS = 7
    BADGE_AWARDS_PER_PAGE = 50
    # An import (flask import stackexchange) refuses a whole dump, changing
    # nothing, with a row tag over IMPORT_MAX_ROW_BYTES, an attribute over
    # IMPORT_MAX_FIELD_LENGTH characters, a row with more than
    # IMPORT_MAX_ATTRIBUTES attributes, or HTML nested deeper than
    # IMPORT_MAX_HTML_DEPTH elements. Real dumps stay far below: a Stack
    # Exchange post has at most 30,000 characters of Markdown.
    IMPORT_MAX_ROW_BYTES = 2 * 1024 * 1024
    IMPORT_MAX_FIELD_LENGTH = 200_000
    IMPORT_MAX_ATTRIBUTES = 100
    IMPORT_MAX_HTML_DEPTH = 100
    # Serial voting (``flask votes audit``, daily): this many votes in one
    # direction by one voter on one user's posts, cast within the last
    # window, are reversed as one pattern.
    SERIAL_VOTE_WINDOW_HOURS = 24
    SERIAL_VOTE_THRESHOLD = 5
    VOTE_AUDIT_PER_PAGE = 50

    # Search. Index updates run after commit: in a background thread per
    # process ("thread"), waited for by the committing thread ("sync", for
    # tests), or only by `flask --app forum search sync` ("manual").
    SEARCH_INDEXING = "thread"
    # Rebuild a missing or unreadable index when the app starts (logged).
    SEARCH_CHECK_ON_START = True
    # How often a process checks the outbox for rows other processes or hosts
    # wrote (seconds), and how far back it re-reads rows whose ids may have
    # committed out of order on PostgreSQL.
    SEARCH_POLL_SECONDS = 2.0
    # After a commit wakes it, the thread waits this long so that the changes
    # committed meanwhile share one index commit (a new post is still
    # searchable well within a second).
    SEARCH_GATHER_SECONDS = 0.2
    SEARCH_LOOKBACK_SECONDS = 60
    # A rebuild writes segments of this many questions per process, each
    # sorted in memory (more memory, fewer segments), and does not merge them.
    SEARCH_REBUILD_SEGMENT_DOCS = 10000
    # Outbox drains merge their small segments (under SEARCH_MERGE_MAX_DOCS
    # questions, once SEARCH_MERGE_MIN_SEGMENTS exist), never a rebuild's.
    SEARCH_MERGE_MAX_DOCS = 2000
    SEARCH_MERGE_MIN_SEGMENTS = 5
    SEARCH_PER_PAGE = 20
    # Rank with sentence embeddings (all-MiniLM-L6-v2, docs/search.md#the-
    # sentence-model) beside the words; False: words only.
    SEARCH_EMBEDDINGS = True
    # How long a process reuses a list's row count (the "N questions" of a
    # list or tag) and a question's related questions; 0: never.
    LIST_COUNT_CACHE_SECONDS = 30
    RELATED_CACHE_SECONDS = 300
    # How long a process keeps a visitor's rendered post card or question row
    # (keyed by every value it shows, so never stale; see
    # forum/views/fragments.py); 0: never.
    FRAGMENT_CACHE_SECONDS = 600
    # How long a process remembers that a user holds a badge (badges are never
    # revoked; this only bounds memory).
    HELD_BADGES_CACHE_SECONDS = 3600
    # A search word held by more than this share of questions (an upper
    # bound over title, body and answers) only ranks what the query's rarer
    # words match, unless every word is that common (forum.search.query).
    SEARCH_COMMON_SHARE = 0.2
    SEARCH_COMMON_MIN = 1000  # below this many questions no word is common
    # A relevance search stops after the index segment (newest first) where
    # it reached this many matches, and ranks those; the total shown is then
    # "about" its extrapolation. 0: score every match.
    SEARCH_SCAN_MATCHES = 1000

    # Abuse limits (docs/operations.md, "Rate limits and abuse"). Counted by
    # Flask-Limiter in RATELIMIT_STORAGE_URL: None keeps the counts in each
    # process's memory; several workers or hosts share a Redis URL such as
    # "redis://127.0.0.1:6379/0" (FORUM_RATELIMIT_STORAGE_URL).
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URL = None
    # Redis keys start with this, so several sites can share one database.
    RATELIMIT_KEY_PREFIX = "forum"
    # "fixed-window" (cheapest; a window starts at its first hit) or
    # "moving-window" (exact, one stored entry per hit).
    RATELIMIT_STRATEGY = "fixed-window"
    # The account tier of each action's limits: under "established" reputation
    # an account is "new" (Stack Exchange's 125), from "trusted" on it is
    # "trusted". Staff have no limits.
    RATE_LIMIT_TIERS = {"established": 125, "trusted": 1000}
    # Per action: the limit per account for each tier ("new", "established",
    # "trusted"; "account" when the tier is unknown or the same for all) and
    # per client address ("address"), in the limits library's syntax
    # ("1 per 40 minutes; 10 per day"). A missing key sets no limit of that
    # kind. Content and votes count only what was saved; preview and search
    # count every request; "login_failure" counts wrong passwords (the log-in
    # page and token requests together).
    RATE_LIMITS = {
        "login_failure": {
            # An account's password guesses; short windows, so an owner locked
            # out by someone else's guesses waits minutes, not hours.
            "account": "5 per 5 minutes; 20 per hour",
            # Looser: many people can share one address (offices, NAT).
            "address": "30 per 10 minutes",
        },
        "signup": {"address": "5 per hour; 20 per day"},
        "token": {"account": "10 per hour", "address": "30 per hour"},
        "preview": {
            "new": "30 per minute",
            "established": "60 per minute",
            "trusted": "120 per minute",
            "address": "60 per minute",
        },
        "search": {
            "new": "30 per minute",
            "established": "60 per minute",
            "trusted": "120 per minute",
            "address": "60 per minute; 2000 per day",
        },
        "ask": {
            "new": "1 per 40 minutes",
            "established": "6 per hour; 50 per day",
            "trusted": "20 per hour; 100 per day",
            "address": "10 per hour; 50 per day",
        },
        "answer": {
            "new": "1 per 3 minutes; 20 per day",
            "established": "2 per minute; 100 per day",
            "trusted": "6 per minute; 300 per day",
            "address": "30 per hour; 300 per day",
        },
        "comment": {
            "new": "1 per 15 seconds; 50 per day",
            "established": "4 per minute; 200 per day",
            "trusted": "10 per minute; 500 per day",
            "address": "60 per hour; 500 per day",
        },
        "edit": {
            "new": "10 per hour; 50 per day",
            "established": "60 per hour; 300 per day",
            "trusted": "120 per hour; 1000 per day",
            "address": "120 per hour; 1000 per day",
        },
        "vote": {
            "new": "10 per minute; 40 per day",
            "established": "20 per minute; 60 per day",
            "trusted": "30 per minute; 100 per day",
            "address": "60 per minute; 500 per day",
        },
        # For the flag route when there is one (forum/views/limits.py, LIMITED).
        "flag": {
            "new": "10 per day",
            "established": "50 per day",
            "trusted": "100 per day",
            "address": "200 per day",
        },
    }

    # The new-user sandbox: below this reputation (staff excepted) a post,
    # an edit or a comment may hold at most SANDBOX_MAX_LINKS links and no image.
    SANDBOX_REPUTATION = 10
    SANDBOX_MAX_LINKS = 2
    # The same question, answer or comment text posted again by its author
    # within this many seconds is refused (0: never).
    DUPLICATE_POST_SECONDS = 600
