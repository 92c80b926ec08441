"""The codebook of the four difficulties: load, validate, hash, and compile into a matcher.

A codebook category holds three kinds of rules, each with a *polarity*:

- ``terms`` / ``patterns`` state a difficulty (polarity ``problem``: 覆盖不到, 两张皮);
- ``remedy_terms`` / ``remedy_patterns`` name a measure or achievement on the theme (polarity
  ``remedy``: 组建联合党委, 资源共享); an ``absence`` cue next to one (缺乏协同机制, 资源共享不够)
  turns it into ``absent_remedy``, which states the difficulty;
- ``slots`` are compositional rules: word sets that must co-occur inside one clause, in a fixed
  or either order, with degree adverbs and measure words (``slot_fillers``) or up to ``gap``
  characters between them (积极性 + 不高 matches 积极性不怎么高 and 兴趣也不高).

Terms are segmented with the *same* ``Segmenter`` as the texts and matched as token sequences,
so the codebook never changes segmentation: editing it only re-codes the stored token tables.
Patterns and slots are regular expressions on the sentence text, for phrasings jieba cuts
variously. ``context.terms`` is the Party-building lexicon of the context gate (see coding.py).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import yaml

from chainpb.config import parse_yaml
from chainpb.errors import ConfigError
from chainpb.labels import CATEGORIES

if TYPE_CHECKING:
    # Imported where used: the Snakefile reads the codebook's hash when it is parsed, and
    # pandas and numpy (behind these two) would add about a second to every no-op run.
    from chainpb.text.prefilter import RulePrefilter
    from chainpb.text.segment import Segmenter

TERM_KINDS: tuple[str, ...] = ("terms", "remedy_terms", "exclude")
DEFAULT_SCOPE_END = ["，", "。", "；", "：", "！", "？", ",", ";", ":", "!", "?", "\n"]
DEFAULT_SCHEMA = (
    Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "codebook.schema.yaml"
)


@dataclass(frozen=True)
class TermEntry:
    """One codebook entry as the matcher sees it."""

    category: str
    term: str
    kind: str  # terms | remedy_terms | exclude
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class Codebook:
    """A validated codebook. ``data`` is the loaded mapping with schema defaults filled in."""

    data: dict[str, Any]
    source: str = "<codebook>"
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hash", codebook_hash(self.data))

    @property
    def version(self) -> str:
        return str(self.data["version"])

    def category(self, key: str) -> dict[str, Any]:
        return self.data["categories"][key]

    @property
    def cues(self) -> list[str]:
        return list(self.data["negation"]["cues"])

    @property
    def post_cues(self) -> list[str]:
        return list(self.data["negation"]["post_cues"])

    @property
    def absence_cues(self) -> list[str]:
        return list(self.data["absence"]["cues"])

    @property
    def absence_post_cues(self) -> list[str]:
        return list(self.data["absence"]["post_cues"])

    @property
    def reframe_cues(self) -> list[str]:
        return list(self.data["reframe"]["cues"])

    @property
    def reframe_blockers(self) -> list[str]:
        return list(self.data["reframe"]["blockers"])

    @property
    def context_terms(self) -> list[str]:
        return list(self.data["context"]["terms"])

    @property
    def context_exclude(self) -> list[str]:
        return list(self.data["context"]["exclude"])

    @property
    def scope_end(self) -> frozenset[str]:
        # A line break always ends a clause, whatever the file says.
        return frozenset([*self.data["negation"]["scope_end"], "\n"])

    def is_none_answer(self, text: str) -> bool:
        """True when the whole answer says "no difficulty" (无, 暂无, 没有困难 …)."""
        core = _strip_marks(text)
        if not core:
            return False
        if core in set(self.data["none_answers"]):
            return True
        return any(re.fullmatch(p, core) for p in self.data["none_patterns"])

    def entries(self) -> list[tuple[str, str, str]]:
        """``(category, kind, term)`` for every term, in file order."""
        out = []
        for cat in CATEGORIES:
            spec = self.category(cat)
            for kind in TERM_KINDS:
                out.extend((cat, kind, t) for t in spec[kind])
        return out

    def compile(self, segmenter: Segmenter) -> CompiledCodebook:
        """Segment every term and cue with ``segmenter`` and index them for matching."""
        return CompiledCodebook.build(self, segmenter)


_MARKS = re.compile(r"[\s，。；：！？、,.;:!?\"'“”‘’（）()《》【】\[\]…—\-~～]+")


def _strip_marks(text: str) -> str:
    return _MARKS.sub("", text or "")


def codebook_hash(data: dict[str, Any]) -> str:
    """First 12 hex digits of the sha256 of the canonical JSON (sorted keys, no spaces)."""
    canon = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()[:12]


def _fill_defaults(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    neg = dict(data.get("negation") or {})
    neg.setdefault("cues", [])
    neg.setdefault("post_cues", [])
    neg.setdefault("scope_end", list(DEFAULT_SCOPE_END))
    neg.setdefault("topic_nouns", [])
    data["negation"] = neg
    absence = dict(data.get("absence") or {})
    absence.setdefault("cues", [])
    absence.setdefault("post_cues", [])
    data["absence"] = absence
    reframe = dict(data.get("reframe") or {})
    reframe.setdefault("cues", [])
    reframe.setdefault("blockers", [])
    data["reframe"] = reframe
    context = dict(data.get("context") or {})
    context.setdefault("terms", [])
    context.setdefault("exclude", [])
    data["context"] = context
    data.setdefault("slot_fillers", [])
    data.setdefault("none_answers", [])
    data.setdefault("none_patterns", [])
    cats = {}
    for key, spec in data["categories"].items():
        spec = dict(spec)
        for k in ("remedy_terms", "exclude", "patterns", "remedy_patterns"):
            spec.setdefault(k, [])
        spec["slots"] = [{"order": "fixed", "gap": 0, **slot} for slot in spec.get("slots", [])]
        spec.setdefault("example", "")
        cats[key] = spec
    data["categories"] = cats
    return data


def load_schema(schema_path: str | Path | None = None) -> dict[str, Any]:
    path = Path(schema_path) if schema_path is not None else DEFAULT_SCHEMA
    try:
        with path.open(encoding="utf-8") as fh:
            return parse_yaml(fh)
    except OSError as exc:
        raise ConfigError(
            f"找不到编码本的 JSON Schema：{path}",
            f"cannot read the codebook JSON Schema {path}: {exc}",
        ) from exc


def validate_codebook(
    data: Any, source: str = "<codebook>", schema_path: str | Path | None = None
) -> Codebook:
    """Validate a loaded mapping against the schema and the rules the schema cannot express."""
    schema = load_schema(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        key = ".".join(str(p) for p in err.absolute_path) or "(根/root)"
        raise ConfigError(
            f"编码本 {source} 无效：键「{key}」：{err.message}",
            f"invalid codebook {source}: key '{key}': {err.message}",
        )
    data = _fill_defaults(data)
    seen: dict[str, str] = {}
    seen_slots: dict[str, str] = {}
    for cat in CATEGORIES:
        spec = data["categories"][cat]
        for kind in TERM_KINDS:
            for term in spec[kind]:
                where = f"categories.{cat}.{kind}"
                if term in seen:
                    raise ConfigError(
                        f"编码本 {source}：词条「{term}」同时出现在 {seen[term]} 和 {where}，每个词只能归入一处",
                        f"codebook {source}: term '{term}' appears in both {seen[term]} and {where}; "
                        "each term may appear once",
                    )
                seen[term] = where
        for kind in ("patterns", "remedy_patterns"):
            for i, pat in enumerate(spec[kind]):
                _compile_or_raise(pat, f"categories.{cat}.{kind}[{i}]", source)
        for i, slot in enumerate(spec["slots"]):
            where = f"categories.{cat}.slots[{i}]"
            if slot["id"] in seen_slots:
                raise ConfigError(
                    f"编码本 {source}：组合规则 id「{slot['id']}」在 {seen_slots[slot['id']]} 和 "
                    f"{where} 重复",
                    f"codebook {source}: slot id '{slot['id']}' repeats in "
                    f"{seen_slots[slot['id']]} and {where}",
                )
            seen_slots[slot["id"]] = where
    for i, pat in enumerate(data["none_patterns"]):
        _compile_or_raise(pat, f"none_patterns[{i}]", source)
    return Codebook(data=data, source=source)


def _compile_or_raise(pattern: str, key: str, source: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigError(
            f"编码本 {source}：键「{key}」的正则表达式无效：{exc}",
            f"codebook {source}: key '{key}' is not a valid regular expression: {exc}",
        ) from exc


def load_codebook(path: str | Path, schema_path: str | Path | None = None) -> Codebook:
    """Read ``config/codebook.yaml``, validate it (JSON Schema 2020-12) and return a Codebook."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            data = parse_yaml(fh)
    except OSError as exc:
        raise ConfigError(f"无法读取编码本 {path}", f"cannot read codebook {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"编码本 {path} 不是有效的 YAML：{exc}", f"codebook {path} is not valid YAML: {exc}"
        ) from exc
    return validate_codebook(data, str(path), schema_path)


@dataclass(frozen=True)
class RegexRule:
    """A pattern or a slot rule compiled to a regular expression on sentence text.

    ``kind`` is ``terms`` (a difficulty statement) or ``remedy_terms`` (a remedy), so that the
    matcher applies the same negation and absence rules as to token terms. ``part_order`` maps
    the regex's capturing groups back to the slot's parts (for "either order" slots).
    """

    category: str
    kind: str
    rule: str  # "pattern", "remedy_pattern" or "slot:<id>"
    regex: re.Pattern[str]
    part_order: tuple[int, ...] = ()


# Characters a slot's gap never crosses: clause marks, and the digits and full stop of a list
# number ("1.党员数量少 2.党务干部缺乏"), which starts a new point.
_CLAUSE_MARKS = "，。；：！？,;:!?\n、.0-9"


def _alternation(words: list[str]) -> str:
    # Longest first, so that 积极性 wins over 积极 when both are listed.
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(re.escape(w) for w in ordered)


def slot_regexes(
    slot: dict[str, Any], fillers: list[str]
) -> list[tuple[re.Pattern[str], tuple[int, ...]]]:
    """Regular expressions of one slot rule: one per admitted order of its parts.

    Between two parts the matcher admits either up to three ``slot_fillers`` (degree adverbs,
    measure words, numerals: 不太, 两名, 也) or, when the slot sets ``gap``, up to ``gap`` other
    characters of the same clause (对提升产品质量和效益没有帮助 needs a long gap).
    """
    parts = [f"({_alternation(list(p))})" for p in slot["parts"]]
    filler = f"(?:{_alternation(fillers)})" if fillers else ""
    widths = slot["gap"] if isinstance(slot["gap"], list) else [slot["gap"]]
    widths = [int(widths[min(i, len(widths) - 1)]) for i in range(len(parts) - 1)]

    def between(width: int) -> str:
        options = [f"{filler}{{0,3}}"] if filler else []
        if width > 0:
            options.append(f"[^{_CLAUSE_MARKS}]{{0,{width}}}?")
        return f"(?:{'|'.join(options)})" if options else ""

    orders = [tuple(range(len(parts)))]
    if slot["order"] == "any":
        orders = sorted(set(itertools.permutations(range(len(parts)))))
    out = []
    for order in orders:
        pieces = [parts[order[0]]]
        for junction, part in enumerate(order[1:]):
            pieces += [between(widths[junction]), parts[part]]
        out.append((re.compile("".join(pieces)), order))
    return out


@dataclass(frozen=True)
class CompiledCodebook:
    """Terms and cues as token sequences, indexed by their first token; patterns and slots as regexes.

    ``first_tokens`` is a frozenset so that the scan over a corpus costs one hashed lookup per
    token; only tokens that can start a term pay for a candidate check.
    """

    codebook: Codebook
    by_first: dict[str, tuple[TermEntry, ...]]
    first_tokens: frozenset[str]
    cues: tuple[tuple[str, ...], ...]
    post_cues: tuple[tuple[str, ...], ...]
    absence_cues: tuple[tuple[str, ...], ...]
    absence_post_cues: tuple[tuple[str, ...], ...]
    reframe_cues: tuple[tuple[str, ...], ...]
    reframe_blockers: tuple[tuple[str, ...], ...]
    topic_nouns: frozenset[str]
    gap_cues: tuple[str, ...]
    scope_end: frozenset[str]
    regex_rules: tuple[RegexRule, ...]
    context: re.Pattern[str] | None
    context_exclude: frozenset[str] = frozenset()
    # The sentences each regex rule can match (chainpb.text.prefilter), built once per codebook.
    prefilter: RulePrefilter | None = None

    @property
    def hash(self) -> str:
        return self.codebook.hash

    def in_context(self, text: str, start: int = 0, end: int | None = None) -> bool:
        """Does ``text[start:end]`` hold a context term outside every excluded phrase?"""
        if self.context is None:
            return True
        end = len(text) if end is None else end
        return any(
            m.group() not in self.context_exclude for m in self.context.finditer(text, start, end)
        )

    @classmethod
    def build(cls, codebook: Codebook, segmenter: Segmenter) -> CompiledCodebook:
        index: dict[str, list[TermEntry]] = {}
        for cat, kind, term in codebook.entries():
            toks = tuple(segmenter.tokens(term))
            if not toks:
                continue
            index.setdefault(toks[0], []).append(TermEntry(cat, term, kind, toks))
        # Longest first (in tokens, then characters) so that 资源共享难 wins over 资源共享;
        # the term text breaks ties so that the order never depends on dict iteration.
        by_first = {
            k: tuple(sorted(v, key=lambda e: (-len(e.tokens), -len(e.term), e.term)))
            for k, v in index.items()
        }

        def seqs(words: list[str]) -> tuple[tuple[str, ...], ...]:
            out = {tuple(segmenter.tokens(w)) for w in words}
            return tuple(sorted((s for s in out if s), key=lambda s: (-len(s), s)))

        rules: list[RegexRule] = []
        fillers = list(codebook.data["slot_fillers"])
        for cat in CATEGORIES:
            spec = codebook.category(cat)
            rules += [RegexRule(cat, "terms", "pattern", re.compile(p)) for p in spec["patterns"]]
            rules += [
                RegexRule(cat, "remedy_terms", "remedy_pattern", re.compile(p))
                for p in spec["remedy_patterns"]
            ]
            for slot in spec["slots"]:
                kind = "terms" if slot["polarity"] == "problem" else "remedy_terms"
                for regex, order in slot_regexes(slot, fillers):
                    rules.append(RegexRule(cat, kind, f"slot:{slot['id']}", regex, order))
        # Excluded phrases take part in the alternation (longest first), so 工农联盟 is matched
        # whole and never as 联盟; a window is in context when a match is not an excluded one.
        terms = codebook.context_terms
        context = re.compile(_alternation(terms + codebook.context_exclude)) if terms else None
        return cls(
            codebook=codebook,
            by_first=by_first,
            first_tokens=frozenset(by_first),
            cues=seqs(codebook.cues),
            post_cues=seqs(codebook.post_cues),
            absence_cues=seqs(codebook.absence_cues),
            absence_post_cues=seqs(codebook.absence_post_cues),
            reframe_cues=seqs(codebook.reframe_cues),
            reframe_blockers=seqs(
                codebook.reframe_blockers + codebook.cues + codebook.absence_cues
            ),
            topic_nouns=frozenset(codebook.data["negation"]["topic_nouns"]),
            # Denials a slot's gap may hide (see chainpb.text.coding._gap_denial).
            gap_cues=tuple(sorted(codebook.cues, key=len, reverse=True)),
            scope_end=codebook.scope_end,
            regex_rules=tuple(rules),
            context=context,
            context_exclude=frozenset(codebook.context_exclude),
            prefilter=_prefilter([r.regex for r in rules]),
        )


def _prefilter(expressions: list[re.Pattern[str]]) -> RulePrefilter:
    from chainpb.text.prefilter import RulePrefilter

    return RulePrefilter(expressions)
