"""The codebook of the four difficulties: load, validate, hash, and compile into a matcher.

A codebook term is segmented with the *same* ``Segmenter`` as the texts and matched as a token
sequence. The codebook therefore never changes segmentation: editing it only requires re-coding
the stored token tables, not re-segmenting. Terms that jieba cuts differently in context can be
caught with ``patterns`` (regular expressions on the unit text).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from chainpb.errors import ConfigError
from chainpb.labels import CATEGORIES
from chainpb.text.segment import Segmenter

TERM_KINDS: tuple[str, ...] = ("terms", "remedy_terms", "exclude")
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
    neg.setdefault("scope_end", ["，", "。", "；", "：", "！", "？", ",", ";", ":", "!", "?", "\n"])
    data["negation"] = neg
    data.setdefault("none_answers", [])
    data.setdefault("none_patterns", [])
    cats = {}
    for key, spec in data["categories"].items():
        spec = dict(spec)
        for k in ("remedy_terms", "exclude", "patterns"):
            spec.setdefault(k, [])
        spec.setdefault("example", "")
        cats[key] = spec
    data["categories"] = cats
    return data


def load_schema(schema_path: str | Path | None = None) -> dict[str, Any]:
    path = Path(schema_path) if schema_path is not None else DEFAULT_SCHEMA
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
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
        for i, pat in enumerate(spec["patterns"]):
            _compile_or_raise(pat, f"categories.{cat}.patterns[{i}]", source)
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
            data = yaml.safe_load(fh)
    except OSError as exc:
        raise ConfigError(f"无法读取编码本 {path}", f"cannot read codebook {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"编码本 {path} 不是有效的 YAML：{exc}", f"codebook {path} is not valid YAML: {exc}"
        ) from exc
    return validate_codebook(data, str(path), schema_path)


@dataclass(frozen=True)
class CompiledCodebook:
    """Terms and cues as token sequences, indexed by their first token.

    ``first_tokens`` is a frozenset so that the scan over a corpus costs one hashed lookup per
    token; only tokens that can start a term pay for a candidate check.
    """

    codebook: Codebook
    by_first: dict[str, tuple[TermEntry, ...]]
    first_tokens: frozenset[str]
    cues: tuple[tuple[str, ...], ...]
    post_cues: tuple[tuple[str, ...], ...]
    scope_end: frozenset[str]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]

    @property
    def hash(self) -> str:
        return self.codebook.hash

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

        patterns = tuple(
            (cat, re.compile(p)) for cat in CATEGORIES for p in codebook.category(cat)["patterns"]
        )
        return cls(
            codebook=codebook,
            by_first=by_first,
            first_tokens=frozenset(by_first),
            cues=seqs(codebook.cues),
            post_cues=seqs(codebook.post_cues),
            scope_end=codebook.scope_end,
            patterns=patterns,
        )
