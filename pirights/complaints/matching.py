"""Blocklist matching (§9): NFKC, case folding and whitespace removal on both sides,
then one Aho-Corasick pass over the text, so the cost follows the text, not the list."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import ahocorasick


def fold(text: str) -> str:
    """Fold width, case and spacing: 'Ｚｈａｎｇ　San' and 'zhangsan' are the same."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


class Matcher:
    """An automaton over every active term; immutable once built."""

    def __init__(self, entries: Iterable[tuple[int, list[str]]]) -> None:
        self._automaton = ahocorasick.Automaton()
        for entry_id, terms in entries:
            for term in terms:
                key = fold(term)
                if not key:
                    continue
                hits = self._automaton.get(key, None) or []
                hits.append((entry_id, term))
                self._automaton.add_word(key, hits)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def matches(self, text: str) -> list[dict]:
        """Each (entry, term) found in `text`, once, in order of first appearance."""
        if self._empty:
            return []
        seen: dict[tuple[int, str], None] = {}
        for _end, hits in self._automaton.iter(fold(text)):
            for hit in hits:
                seen.setdefault(hit, None)
        return [{"id": entry_id, "term": term} for entry_id, term in seen]
