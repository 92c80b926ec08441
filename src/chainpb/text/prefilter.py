"""Which sentences a pattern or slot rule can match at all, found from the rule's own literals.

Running 150 regular expressions over every sentence of a provincial corpus costs more than
segmenting it. Yet almost every rule names words without which it cannot match: a slot needs
one word of each part (作用/成效 … and 不明显/没有 …), a pattern such as
``(建立?|组建|成立)(党)?(组织|支部)(难度大|很难|难)`` needs one of 建/组建/成立, one of 组织/支部
and one of the difficulty words. :func:`required_literals` reads those word sets off the
compiled expression (Python's own regex parser, so the sets follow the expression exactly);
:class:`RulePrefilter` finds every occurrence of every such word in a document in one
Aho–Corasick pass (pyahocorasick) and gives, per rule, the sentences holding a word of each
set. Only those sentences are searched. The filter is exact, never a heuristic: a rule runs on
every sentence it could match, so the hits are the same as searching every sentence (the test
suite checks this on the shared real corpora). A rule whose expression yields no word set
(a lookaround, a case-insensitive flag, a leading character class) simply runs everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# The parser behind re.compile; its public alias sre_parse is deprecated since Python 3.11.
from re import _constants as sre
from re import _parser as sre_parse

import ahocorasick
import numpy as np

# Expanding alternatives multiplies them (党(务|建) → 党务, 党建); past this many strings a
# word set stops growing and keeps the shorter prefixes it has, which are still required.
_MAX_ALTERNATIVES = 64
_MAX_CLASS = 16  # a character class of up to this many plain characters counts as literals
_REPEATS = tuple(
    op for op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)) if op
)


def _class_chars(av) -> set[str] | None:
    chars = set()
    for op, value in av:
        if op is not sre.LITERAL:
            return None  # a range, a category (\d) or a negation: not a short literal set
        chars.add(chr(value))
    return chars if len(chars) <= _MAX_CLASS else None


def _expand(items) -> tuple[set[str], bool]:
    """(strings, complete): every match of ``items`` starts with one of ``strings``;
    ``complete`` when the strings are exactly what the items match."""
    acc = {""}
    for op, av in items:
        if op is sre.LITERAL:
            options, complete = {chr(av)}, True
        elif op is sre.IN:
            chars = _class_chars(av)
            if chars is None:
                return acc, False
            options, complete = chars, True
        elif op is sre.SUBPATTERN:
            options, complete = _expand(av[-1])
        elif op is sre.BRANCH:
            options, complete = set(), True
            for alternative in av[1]:
                alt, alt_complete = _expand(alternative)
                options |= alt
                complete = complete and alt_complete
        elif op in _REPEATS and av[0] >= 1:
            options, _ = _expand(av[2])
            complete = False  # the first repetition is required; what follows varies
        else:
            return acc, False
        if "" in options or len(acc) * len(options) > _MAX_ALTERNATIVES:
            return acc, False
        acc = {a + o for a in acc for o in options}
        if not complete:
            return acc, False
    return acc, True


def required_literals(pattern: re.Pattern[str]) -> list[frozenset[str]]:
    """Word sets of a compiled rule: every match contains at least one word of each set.

    Each mandatory top-level element of the expression gives one set (the literal strings its
    matches start with); optional elements give none. ``[]`` when nothing can be said.
    """
    if pattern.flags & re.IGNORECASE:
        return []
    try:
        parsed = list(sre_parse.parse(pattern.pattern, pattern.flags))
    except (re.error, TypeError, ValueError):
        return []
    out: list[frozenset[str]] = []
    i = 0
    while i < len(parsed):
        # Consecutive literals are one word; anything else is one element.
        j = i + 1
        if parsed[i][0] is sre.LITERAL:
            while j < len(parsed) and parsed[j][0] is sre.LITERAL:
                j += 1
        words, _ = _expand(parsed[i:j])
        if "" not in words:
            out.append(frozenset(words))
        i = j
    return out


def _selective(word_sets: list[frozenset[str]]) -> list[frozenset[str]]:
    # A set holding a one-character word (不, 的, 对) matches most sentences and costs more to
    # look up than it saves; the sets of longer words are enough to rule sentences out.
    longer = [s for s in word_sets if min(map(len, s)) >= 2]
    return longer or word_sets


class RulePrefilter:
    """The sentences of a document in which each rule may match (see the module docstring)."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        self.word_sets = [_selective(required_literals(p)) for p in patterns]
        words = sorted({w for sets in self.word_sets for s in sets for w in s})
        self._words = words
        self._lengths = np.array([len(w) for w in words], dtype=np.int64)
        self._automaton = None
        if words:
            automaton = ahocorasick.Automaton()
            for k, word in enumerate(words):
                automaton.add_word(word, k)
            automaton.make_automaton()
            self._automaton = automaton

    def candidates(
        self, text: str, starts: Sequence[int], ends: Sequence[int]
    ) -> list[Sequence[int]]:
        """Per rule, the indices of the sentences ``[starts[k], ends[k])`` of ``text`` that hold
        a word of each of the rule's sets, in order (every sentence for a rule without sets)."""
        n = len(starts)
        present = self._present(text, starts, ends)
        out: list[Sequence[int]] = []
        for sets in self.word_sets:
            if not sets:
                out.append(range(n))
                continue
            found: set[int] | None = None
            for words in sets:
                union: set[int] = set()
                for word in words:
                    union |= present.get(word, set())
                found = union if found is None else found & union
                if not found:
                    break
            out.append(sorted(found or ()))
        return out

    def _present(self, text: str, starts, ends) -> dict[str, set[int]]:
        """word → indices of the sentences that hold it whole."""
        if self._automaton is None or not len(starts):
            return {}
        occurrences = np.array(
            list(self._automaton.iter(text, int(starts[0]), int(ends[-1]))), dtype=np.int64
        ).reshape(-1, 2)
        if not len(occurrences):
            return {}
        last, word = occurrences[:, 0], occurrences[:, 1]
        first = last - self._lengths[word] + 1
        sentence = np.searchsorted(np.asarray(starts), first, side="right") - 1
        inside = (sentence >= 0) & (last < np.asarray(ends)[np.maximum(sentence, 0)])
        n = len(starts)
        keys = np.unique(word[inside] * n + sentence[inside])
        word_of, sentence_of = np.divmod(keys, n)
        out: dict[str, set[int]] = {}
        cuts = (np.flatnonzero(np.diff(word_of)) + 1).tolist()
        for a, b in zip([0, *cuts], [*cuts, len(keys)], strict=True):
            out[self._words[int(word_of[a])]] = set(sentence_of[a:b].tolist())
        return out
