"""Which sentences a pattern or slot rule can match at all, found from the rule's own literals.

Running 150 regular expressions over every sentence of a provincial corpus costs more than
segmenting it. Yet almost every rule names words without which it cannot match: a slot needs
one word of each part (作用/成效 … and 不明显/没有 …), a pattern such as
``(建立?|组建|成立)(党)?(组织|支部)(难度大|很难|难)`` needs one of 建/组建/成立, one of 组织/支部
and one of the difficulty words. :func:`required_literals` reads those word sets off the
compiled expression (Python's own regex parser, so the sets follow the expression exactly),
and :func:`branch_literals` adds one for a rule that is a single alternation (a telling word
from each alternative). :meth:`RulePrefilter.rule_sentences` (what coding uses) picks for each
rule the two sets rarest in a sample of the corpus, finds every occurrence of their words in
the whole corpus in one numpy pass (:class:`WordFinder`) and pairs the rule with the sentences
holding a word of both; :meth:`RulePrefilter.candidates` (per document, every set, one
Aho–Corasick pass with pyahocorasick) is the earlier form, kept for its callers. Only those
sentences are searched. The filter is exact, never a heuristic: every set is required, so a
rule runs on every sentence it could match and the hits are the same as searching every
sentence (the test suite checks this on the shared real corpora); the choice of sets changes
only the cost. A rule whose expression yields no word set (a lookaround, a case-insensitive
flag, a leading character class) simply runs everywhere.
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
    return _sets_of(parsed)


def _sets_of(parsed) -> list[frozenset[str]]:
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


def branch_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """One more word set of a rule that is one alternation: a word from each alternative.

    :func:`required_literals` gives such a rule only the words its alternatives start with
    (为 for ``…|为了?党建而党建``); here each alternative contributes its most telling required
    word (党建而党建), the longest of its own word sets. ``None`` when the rule is not one
    alternation or an alternative says nothing.
    """
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        items = list(sre_parse.parse(pattern.pattern, pattern.flags))
    except (re.error, TypeError, ValueError):
        return None
    while len(items) == 1 and items[0][0] is sre.SUBPATTERN:
        if items[0][1][1] & re.IGNORECASE:
            return None
        items = list(items[0][1][-1])
    if len(items) != 1 or items[0][0] is not sre.BRANCH:
        return None
    union: set[str] = set()
    for alternative in items[0][1][1]:
        alternative = list(alternative)
        options = _sets_of(alternative)
        prefixes, _ = _expand(alternative)
        if "" not in prefixes:
            options.append(frozenset(prefixes))
        if not options:
            return None
        union |= max(options, key=lambda s: (min(map(len, s)), -len(s), sorted(s)))
    return frozenset(union)


def _selective(word_sets: list[frozenset[str]]) -> list[frozenset[str]]:
    # A set holding a one-character word (不, 的, 对) matches most sentences and costs more to
    # look up than it saves; the sets of longer words are enough to rule sentences out.
    longer = [s for s in word_sets if min(map(len, s)) >= 2]
    return longer or word_sets


class RulePrefilter:
    """The sentences of a document in which each rule may match (see the module docstring)."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        self.word_sets = [_selective(required_literals(p)) for p in patterns]
        # Every required set, one-character ones and that of an alternation included: the
        # choice of sets in rule_sentences.
        self.all_sets = []
        for p in patterns:
            sets = required_literals(p)
            extra = branch_literals(p)
            self.all_sets.append([*sets, extra] if extra and extra not in sets else sets)
        words = sorted({w for sets in self.word_sets for s in sets for w in s})
        self._words = words
        # Every word of every set (one-character sets included), for choosing key sets.
        self._all_words = sorted({w for sets in self.all_sets for s in sets for w in s})
        self._all_finder = WordFinder(self._all_words)
        self._finders: dict[tuple[str, ...], WordFinder] = {}
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
        keys = _distinct(word[inside] * n + sentence[inside])
        word_of, sentence_of = np.divmod(keys, n)
        out: dict[str, set[int]] = {}
        cuts = (np.flatnonzero(np.diff(word_of)) + 1).tolist()
        for a, b in zip([0, *cuts], [*cuts, len(keys)], strict=True):
            out[self._words[int(word_of[a])]] = set(sentence_of[a:b].tolist())
        return out

    def rule_sentences(
        self, text: str, starts: np.ndarray, ends: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every (sentence, rule) pair to search, sorted by sentence then rule.

        ``text`` is the whole corpus (documents joined by a character no rule word holds) and
        ``[starts[k], ends[k])`` its sentences, in order. A rule is paired with the sentences
        that hold a word of each of its two rarest word sets (rarest in a sample of the
        text): every required set rules out only sentences the rule cannot match, so which
        sets are used changes the cost, never the hits. One :class:`WordFinder` pass finds
        the words; a rule without word sets pairs with every sentence.
        """
        n, n_rules = len(starts), len(self.all_sets)
        empty = np.zeros(0, dtype=np.int64)
        if not n or not n_rules:
            return empty, empty
        chosen = self._key_sets(_sample(text, starts, ends))
        parts: list[np.ndarray] = []
        everywhere = [r for r, sets in enumerate(chosen) if not sets]
        if everywhere:
            grid = np.arange(n, dtype=np.int64)[:, None] * n_rules + np.asarray(everywhere)
            parts.append(grid.ravel())
        # Conditions: (rule, one of its chosen sets); a word may serve several.
        cond_rule = [r for r, sets in enumerate(chosen) for _ in sets]
        words = sorted({w for sets in chosen for s in sets for w in s})
        if words:
            index = {w: i for i, w in enumerate(words)}
            member = sorted(
                (index[w], c) for c, s in enumerate(s for sets in chosen for s in sets) for w in s
            )
            word_col = np.array([m[0] for m in member], dtype=np.int64)
            cond_of = np.array([m[1] for m in member], dtype=np.int64)
            offsets = np.searchsorted(word_col, np.arange(len(words) + 1))
            lengths = np.array([len(w) for w in words], dtype=np.int64)
            first, word = self._finder(words).find(text)
            last = first + lengths[word] - 1
            sentence = np.searchsorted(starts, first, side="right") - 1
            inside = (sentence >= 0) & (last < ends[np.maximum(sentence, 0)])
            word_of, sentence_of = word[inside], sentence[inside]
            counts = offsets[word_of + 1] - offsets[word_of]
            rows = np.repeat(np.arange(len(word_of)), counts)
            within = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
            cond = cond_of[offsets[word_of[rows]] + within]
            # Sentences meeting a condition, then those meeting every condition of a rule.
            met = _distinct(sentence_of[rows] * len(cond_rule) + cond)
            met_sentence, met_cond = np.divmod(met, len(cond_rule))
            rule = np.asarray(cond_rule, dtype=np.int64)[met_cond]
            pair = met_sentence * n_rules + rule
            pair, times = _distinct(pair, counts=True)
            needed = np.array([len(sets) for sets in chosen], dtype=np.int64)
            parts.append(pair[times == needed[pair % n_rules]])
        if not parts:
            return empty, empty
        keys = parts[0] if len(parts) == 1 else _distinct(np.concatenate(parts))
        return np.divmod(keys, n_rules)

    def _finder(self, words: list[str]) -> WordFinder:
        """A finder of ``words``, kept for the next call with the same words."""
        key = tuple(words)
        if key not in self._finders:
            if len(self._finders) >= 8:
                self._finders.clear()
            self._finders[key] = WordFinder(words)
        return self._finders[key]

    def _key_sets(self, sample: str, most: int = 2) -> list[list[frozenset[str]]]:
        """Per rule, its ``most`` required word sets with the fewest occurrences in
        ``sample`` (ties to longer words, then fewer words, then the words themselves)."""
        counts: dict[str, int] = {}
        if self._all_words and sample:
            _, found = self._all_finder.find(sample)
            tally = np.bincount(found, minlength=len(self._all_words)).tolist()
            counts = dict(zip(self._all_words, tally, strict=True))

        def cost(words: frozenset[str]) -> tuple[int, int, int, list[str]]:
            total = sum(counts.get(w, 0) for w in words)
            return total, -min(map(len, words)), len(words), sorted(words)

        return [sorted(sets, key=cost)[:most] for sets in self.all_sets]


def _distinct(values: np.ndarray, counts: bool = False):
    """Sorted distinct values (and how often each occurs), by a sort: numpy's hash-based
    ``unique`` is many times slower on these large integer keys."""
    values = np.sort(values, kind="stable")
    if not len(values):
        return (values, np.zeros(0, dtype=np.int64)) if counts else values
    first = np.concatenate(([True], values[1:] != values[:-1]))
    out = values[first]
    if not counts:
        return out
    where = np.flatnonzero(first)
    return out, np.diff(np.concatenate((where, [len(values)])))


_SAMPLE_CHARS = 100_000


def _sample(text: str, starts: np.ndarray, ends: np.ndarray) -> str:
    """About 100,000 characters of ``text``: every k-th sentence (every one if fewer)."""
    total = int(np.maximum(ends - starts, 0).sum())
    stride = max(1, -(-total // _SAMPLE_CHARS))
    picks = range(0, len(starts), stride)
    return "\x00".join(text[int(starts[k]) : int(ends[k])] for k in picks)


class SequenceFinder:
    """Every occurrence of a fixed set of integer sequences in an integer array, with numpy.

    Positions whose first two values open a sequence are picked with lookup tables, and
    the remaining values of the sequences opened there are compared on those positions only,
    one offset at a time for all of them at once. Exact: the same (start, sequence) pairs
    as comparing every sequence at every position, overlaps included.
    """

    def __init__(self, sequences: Sequence[Sequence[int]]) -> None:
        seqs = [np.asarray(q, dtype=np.int64) for q in sequences]
        if any(len(q) == 0 for q in seqs):
            raise ValueError("empty sequence")
        self.size = len(seqs)
        self._lengths = np.array([len(q) for q in seqs], dtype=np.int64)
        self._max_len = max((len(q) for q in seqs), default=1)
        top = max((int(q.max()) for q in seqs), default=0)
        self._top = top + 1  # values above the sequences' own map here: "no sequence"
        self._matrix = np.zeros((len(seqs), self._max_len), dtype=np.int64)
        for k, q in enumerate(seqs):
            self._matrix[k, : len(q)] = q
        # One-value sequences: value -> sequence (-1 none).
        self._single = np.full(self._top + 1, -1, dtype=np.int32)
        for k, q in enumerate(seqs):
            if len(q) == 1:
                self._single[int(q[0])] = k
        self._has_single = bool((self._single >= 0).any())
        # Longer ones by their first two values: value -> rank among first (second) values,
        # and (first rank, second rank) -> a group of sequences in self._longer.
        longer = [k for k, q in enumerate(seqs) if len(q) >= 2]
        self._first_rank = np.full(self._top + 1, -1, dtype=np.int32)
        self._second_rank = np.full(self._top + 1, -1, dtype=np.int32)
        firsts = sorted({int(seqs[k][0]) for k in longer})
        seconds = sorted({int(seqs[k][1]) for k in longer})
        self._first_rank[firsts] = np.arange(len(firsts))
        self._second_rank[seconds] = np.arange(len(seconds))
        self._n_second = max(len(seconds), 1)
        cell = [
            int(self._first_rank[seqs[k][0]]) * self._n_second + int(self._second_rank[seqs[k][1]])
            for k in longer
        ]
        order = sorted(range(len(longer)), key=lambda i: (cell[i], longer[i]))
        self._longer = np.array([longer[i] for i in order], dtype=np.int64)
        cells = np.array([cell[i] for i in order], dtype=np.int64)
        self._group_start = np.full(max(len(firsts), 1) * self._n_second, -1, dtype=np.int64)
        self._group_size = np.zeros(max(len(firsts), 1) * self._n_second, dtype=np.int64)
        for i, c in enumerate(cells.tolist()):
            if self._group_start[c] < 0:
                self._group_start[c] = i
            self._group_size[c] += 1
        self._has_longer = bool(longer)
        self._pair_bits = np.zeros(1 << _HASH_BITS, dtype=bool)
        if longer:
            self._pair_bits[
                _pair_hash(
                    np.array([seqs[k][0] for k in longer]), np.array([seqs[k][1] for k in longer])
                )
            ] = True

    def find_array(self, arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(start, sequence index) of every occurrence in ``arr`` (non-negative integers)."""
        arr = np.asarray(arr)
        n = len(arr)
        found_at: list[np.ndarray] = []
        found_seq: list[np.ndarray] = []
        # Tables are indexed with mode="clip": a value past the tables' end reads their last
        # entry, which belongs to no sequence.
        if self._has_single and n:
            which = np.take(self._single, arr, mode="clip")
            at = np.flatnonzero(which >= 0)
            found_at.append(at)
            found_seq.append(which[at].astype(np.int64))
        if self._has_longer and n >= 2:
            # Positions whose two values hash to the pair of some sequence (a filter with few
            # false positives), then the exact pair.
            at = np.flatnonzero(self._pair_bits[_pair_hash(arr[:-1], arr[1:])])
            first = np.take(self._first_rank, arr[at], mode="clip")
            second = np.take(self._second_rank, arr[at + 1], mode="clip")
            keep = (first >= 0) & (second >= 0)
            at = at[keep]
            cell = first[keep].astype(np.int64) * self._n_second + second[keep]
            size = self._group_size[cell]
            keep = size > 0
            at, cell, size = at[keep], cell[keep], size[keep]
            # Each position with every sequence its two values open.
            rows = np.repeat(np.arange(len(at)), size)
            within = np.arange(len(rows)) - np.repeat(np.cumsum(size) - size, size)
            pos = at[rows]
            seq = self._longer[self._group_start[cell][rows] + within]
            for j in range(2, self._max_len + 1):
                done = self._lengths[seq] <= j
                found_at.append(pos[done])
                found_seq.append(seq[done])
                pos, seq = pos[~done], seq[~done]
                if not len(pos):
                    break
                # A sequence that would run past the end cannot match there.
                inside = pos + j < n
                pos, seq = pos[inside], seq[inside]
                ok = arr[pos + j] == self._matrix[seq, j]
                pos, seq = pos[ok], seq[ok]
        if not found_at:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(found_at), np.concatenate(found_seq)


_HASH_BITS = 20


def _pair_hash(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A 20-bit hash of two values (arrays of equal length)."""
    h = a.astype(np.uint32) * np.uint32(0x9E3779B1)
    h ^= b.astype(np.uint32)
    return h & np.uint32((1 << _HASH_BITS) - 1)


class WordFinder(SequenceFinder):
    """Every occurrence of a fixed set of words in a text (:class:`SequenceFinder` on the
    text's code points); much faster than an automaton driven from Python on a corpus of
    millions of characters."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = list(words)
        super().__init__([_code_points(w) for w in self.words])

    def find(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(start, word index) of every occurrence of every word in ``text``."""
        if not self.words:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return self.find_array(_code_points(text))


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
