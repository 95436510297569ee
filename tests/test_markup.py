"""Markdown rendering: features work, and no payload yields executable HTML."""

import html.parser

import pytest

from forum.markup import plain_text, render_markdown

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=x oNeRrOr=alert(1)//",
    '<body onload="alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><img src=x onerror=alert(1)></mtext></math>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<form action=https://evil.example><input name=x><button>go</button></form>",
    "<object data=x.swf></object><embed src=x.swf>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;avascript&#x3A;alert(1))",
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;'
    ':alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![img](x" onerror="alert(1))',
    "[ref][1]\n\n[1]: javascript:alert(1)",
    '[ref][1]\n\n[1]: https://ok.example "title" onmouseover=alert(1)',
    "<javascript:alert(1)>",
    "<https://ok.example/?q=<script>>",
    '<div onclick="alert(1)">click</div>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<style>body{background:red}</style>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<a href="https://ok.example" target="_blank" onfocus=alert(1) autofocus>x</a>',
    "<details open ontoggle=alert(1)>",
    '<video><source onerror="alert(1)"></video>',
    "<!--<script>alert(1)</script>-->",
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "<scr<script>ipt>alert(1)</script>",
    '"><script>alert(1)</script>',
    "<a href='\"><script>alert(1)</script>'>x</a>",
]

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background"}
ALLOWED_SCHEMES = ("http://", "https://", "mailto:")
FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "form",
    "input",
    "button",
    "style",
    "link",
    "meta",
    "base",
    "svg",
    "math",
    "body",
    "video",
    "source",
    "details",
}


class ExecutableContentFinder(html.parser.HTMLParser):
    """Collects anything in parsed HTML that a browser could execute."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"handler {name}")
            if name == "style":
                self.problems.append("style attribute")
            if name in URL_ATTRIBUTES and value is not None:
                cleaned = "".join(value.split()).lower()
                is_relative = ":" not in cleaned.split("/")[0]
                if not (cleaned.startswith(ALLOWED_SCHEMES) or is_relative):
                    self.problems.append(f"{name}={value!r}")

    handle_startendtag = handle_starttag


def executable_content(rendered: str) -> list[str]:
    """Return what in ``rendered`` could run script (empty when safe)."""
    finder = ExecutableContentFinder()
    finder.feed(rendered)
    finder.close()
    return finder.problems


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_renders_without_executable_content(payload):
    rendered = str(render_markdown(payload))
    assert executable_content(rendered) == []
    assert "javascript:" not in rendered.lower().replace("&amp;", "&") or (
        "<a" not in rendered and "<img" not in rendered
    )


def test_finder_catches_what_it_should():
    # The checker itself must be able to fail.
    assert executable_content('<a href="javascript:alert(1)">x</a>')
    assert executable_content("<img src=x onerror=alert(1)>")
    assert executable_content("<script>alert(1)</script>")
    assert executable_content('<p style="x">y</p>')


def test_links_get_rel_and_keep_safe_urls():
    rendered = str(render_markdown("[docs](https://example.com/help)"))
    assert 'href="https://example.com/help"' in rendered
    assert 'rel="nofollow ugc noopener"' in rendered


def test_autolink_and_mailto():
    rendered = str(render_markdown("<https://example.com> and <mailto:a@example.com>"))
    assert 'href="https://example.com"' in rendered
    assert "mailto:a@example.com" in rendered


def test_fenced_code_tables_and_sane_lists():
    text = (
        "```python\nprint('<b>')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "1. one\n2. two\n\n* bullet\n"
    )
    rendered = str(render_markdown(text))
    assert '<code class="language-python">' in rendered
    assert (
        "print(&#x27;&lt;b&gt;&#x27;)" in rendered or "print('&lt;b&gt;')" in rendered
    )
    assert "<table>" in rendered and "<td>1</td>" in rendered
    assert "<ol>" in rendered and "<ul>" in rendered


def test_code_class_other_than_language_is_dropped():
    rendered = str(render_markdown('<code class="evil x">y</code>'))
    assert "evil" not in rendered


def test_script_text_is_removed_not_shown():
    rendered = str(render_markdown("before <script>alert('x')</script> after"))
    assert "alert" not in rendered
    assert "before" in rendered and "after" in rendered


def test_plain_text_strips_tags_and_unescapes():
    assert plain_text("<p>Use <code>a &lt; b</code> &amp; go</p>") == "Use a < b & go"


def test_empty_input():
    assert str(render_markdown("")) == ""
