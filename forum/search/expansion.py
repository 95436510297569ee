"""Expanding a parsed search with synonyms and tags, at query time.

A plain word (or a run of up to ``MAX_RUN`` words) that the synonym list
knows is ORed with what it also means -- a word, or a phrase for several
words -- and a word that is a tag name (or means one) also matches the
questions with that tag, ranked up (``query.TAG_WORD_BOOST``). The index is
not involved: a change to the list or to tags takes effect at once.
"""

from collections.abc import Callable

from forum.search.query import ParsedQuery, Phrase, TagWord, Text, Word

MAX_RUN = 3  # the longest multi-word synonym term looked for
# Looks up candidates: (what each also means, which are tag names).
Vocabulary = Callable[[list[str]], tuple[dict[str, list[str]], set[str]]]


def _key(word: Word) -> str:
    """A word as the synonym list and tag names spell it."""
    return " ".join(word.text.lower().strip(".,;:!?()").split())


def _plain(group: list[Text]) -> Word | None:
    """The group's word when it is one plain word (not an OR group)."""
    return group[0] if len(group) == 1 and isinstance(group[0], Word) else None


def _candidates(parsed: ParsedQuery) -> list[str]:
    """Every word of the text groups, and the runs of adjacent plain words."""
    found: list[str] = []
    for group in parsed.text:
        found.extend(_key(c) for c in group if isinstance(c, Word))
    plain = [_plain(g) for g in parsed.text]
    for size in range(2, MAX_RUN + 1):
        for start in range(len(plain) - size + 1):
            run = plain[start : start + size]
            if all(run):
                found.append(" ".join(_key(w) for w in run if w))
    return found


def _options(key: str, meanings: dict[str, list[str]], tags: set[str]) -> list[Text]:
    """What a word or run also matches: its meanings, and tags it names."""
    options: list[Text] = []
    for meaning in meanings.get(key, []):
        options.append(Phrase(meaning) if " " in meaning else Word(meaning))
    for name in [key, *meanings.get(key, [])]:
        if name in tags:
            options.append(TagWord(name))
    return options


def expand(parsed: ParsedQuery, vocabulary: Vocabulary) -> ParsedQuery:
    """The parsed search with synonyms and tag words ORed into its groups."""
    candidates = _candidates(parsed)
    if not candidates:
        return parsed
    meanings, tags = vocabulary(candidates)
    if not meanings and not tags:
        return parsed
    groups: list[list[Text]] = []
    index = 0
    while index < len(parsed.text):
        run = _run_at(parsed.text, index, meanings)
        if run:
            words = [_plain(g) for g in parsed.text[index : index + run]]
            key = " ".join(_key(w) for w in words if w)
            groups.append([Word(key), *_options(key, meanings, tags)])
            index += run
            continue
        group: list[Text] = []
        for clause in parsed.text[index]:
            group.append(clause)
            if isinstance(clause, Word):
                group.extend(_options(_key(clause), meanings, tags))
        groups.append(list(dict.fromkeys(group)))
        index += 1
    parsed.text = groups
    return parsed


def _run_at(groups: list[list[Text]], index: int, meanings: dict) -> int:
    """The length of the longest multi-word synonym term starting here (0: none)."""
    for size in range(MAX_RUN, 1, -1):
        words = [_plain(g) for g in groups[index : index + size]]
        if len(words) == size and all(words):
            if " ".join(_key(w) for w in words if w) in meanings:
                return size
    return 0
