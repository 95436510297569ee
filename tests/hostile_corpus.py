"""Pathological inputs for the hostile-input test and bench/hostile.py.

Each family is a function of a length that returns text of about that length
(never more), shaped to find the worst case of a parser: floods of one
character, alternations, nesting ladders and tables of definitions.
"""

from collections.abc import Callable


def _fill(unit: str, n: int) -> str:
    """``unit`` repeated to at most ``n`` characters."""
    return (unit * (n // max(len(unit), 1) + 1))[:n]


def _lines(make: Callable[[int], str], n: int) -> str:
    """Lines ``make(0)``, ``make(1)``... joined by newlines, at most ``n`` long."""
    out: list[str] = []
    size = 0
    i = 0
    while True:
        line = make(i) + "\n"
        if size + len(line) > n:
            break
        out.append(line)
        size += len(line)
        i += 1
    return "".join(out)


def _ladder(step: str, tail: str, n: int) -> str:
    """One line per depth: ``step`` repeated depth times, then ``tail``."""
    return _lines(lambda i: step * (i % 2000) + tail, n)


def _reference_table(n: int) -> str:
    """Half definitions ``[xI]: http://...``, half references to them."""
    defs = _lines(lambda i: f"[x{i}]: http://example.com/{i}", n // 2)
    count = defs.count("\n")
    refs = _fill("".join(f"[y][x{i}] " for i in range(max(count, 1))), n - len(defs))
    return defs + refs


FAMILIES: dict[str, Callable[[int], str]] = {
    "open brackets": lambda n: _fill("[", n),
    "close brackets": lambda n: _fill("]", n),
    "bracket pairs": lambda n: _fill("[]", n),
    "nested brackets": lambda n: _fill("[", n // 2) + _fill("]", n - n // 2),
    "unclosed links": lambda n: _fill("[a](", n),
    "image openers": lambda n: _fill("![", n),
    "link labels": lambda n: _fill("[a]", n),
    "bracket paren": lambda n: _fill("](", n),
    "reference links": lambda n: _fill("[a][", n),
    "stars": lambda n: _fill("*", n),
    "underscores": lambda n: _fill("_", n),
    "star words": lambda n: _fill("*a", n),
    "underscore words": lambda n: _fill("_a", n),
    "strong words": lambda n: _fill("**a", n),
    "mixed emphasis": lambda n: _fill("*_", n),
    "triple emphasis": lambda n: _fill("***a ", n),
    "nested quotes": lambda n: _fill("> ", n - 1) + "x",
    "quote ladder": lambda n: _ladder("> ", "x", n),
    "list ladder": lambda n: _ladder("    ", "- x", n),
    "ordered ladder": lambda n: _ladder("    ", "1. x", n),
    "nested list line": lambda n: _fill("- ", n - 1) + "x",
    "backticks": lambda n: _fill("`", n),
    "backtick words": lambda n: _fill("`a", n),
    "backtick ladder": lambda n: "".join("`" * i + "a" for i in range(1, 400))[:n],
    "fences": lambda n: _fill("```\n", n),
    "entities": lambda n: _fill("&amp;", n),
    "numeric entities": lambda n: _fill("&#123;", n),
    "broken entities": lambda n: _fill("&#x", n),
    "reference table": _reference_table,
    "comment openers": lambda n: _fill("<!--", n),
    "comment words": lambda n: _fill("<!-- a ", n),
    "angle brackets": lambda n: _fill("<", n),
    "tag openers": lambda n: _fill("<a", n),
    "autolinks": lambda n: _fill("<http://a", n),
    "closed autolinks": lambda n: _fill("<http://a", n - 1) + ">",
    "closed tag openers": lambda n: _fill("<a", n - 1) + ">",
    "tags and text": lambda n: _fill("<a b", n - 2) + "\n>",
    "html blocks": lambda n: _fill("<div>\n", n),
    "backslashes": lambda n: _fill("\\", n),
    "escaped brackets": lambda n: _fill("\\[", n),
    "pipes": lambda n: _fill("|", n),
    "wide table": lambda n: (
        "a" + _fill("|a", n // 3) + "\n-" + _fill("|-", n // 3) + "\n"
    ),
    "long table": lambda n: "a|b\n-|-\n" + _fill("|" * 50 + "\n", n - 8),
    "headers": lambda n: _fill("#", n),
    "header lines": lambda n: _fill("# a\n", n),
    "rules": lambda n: _fill("***\n", n),
    "pipe headings": lambda n: _fill("|a\n=\n", n),
    "pipe rows and headings": lambda n: _fill("|a\n|-\n# h |\n", n - 1) + "x",
    "setext": lambda n: _fill("a\n=\n", n),
    "spaces": lambda n: _fill(" ", n - 1) + "x",
    "newlines": lambda n: _fill("\n", n - 1) + "x",
    "mixed punctuation": lambda n: _fill("[*_`<&!\\(", n),
}


def corpus(limit: int) -> dict[str, str]:
    """Every family at ``limit`` characters."""
    return {name: make(limit) for name, make in FAMILIES.items()}
