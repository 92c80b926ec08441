"""Which library code a rule runs, as a hash: so that upgrading chainpb reruns exactly the stages
whose code changed.

Snakemake reruns a job when its script, inputs or parameters change, but it does not look into
the modules a script imports; after an upgrade of ``src/chainpb`` nothing reran and results could
mix code versions. Each rule therefore carries ``params: code=code_hash("scripts/x.py")``: a
hash of the script and of every ``chainpb`` module it imports, directly or through other
``chainpb`` modules (found statically from the import lines, inside functions included). A
parameter change makes Snakemake rerun the job (its default ``params`` rerun trigger).

本模块计算一个规则实际用到的库代码（脚本及其直接、间接导入的 chainpb 模块）的哈希，作为规则参数：
升级库代码后只重跑代码有变化的步骤。
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

PACKAGE = "chainpb"
SRC_ROOT = Path(__file__).resolve().parent.parent  # the folder that holds chainpb/


# Cached: the Snakefile hashes every script's closure on each call, and the scripts share most
# modules (the files do not change while Snakemake reads the workflow).
@functools.cache
def _module_file(name: str, src_root: Path) -> Path | None:
    """``chainpb.a.b`` → src/chainpb/a/b.py or src/chainpb/a/b/__init__.py (None: not a module)."""
    base = src_root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path, src_root: Path) -> str:
    parts = list(path.relative_to(src_root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# ``from m import a, b`` (one line or in parentheses) and ``import m, n as x`` at the start of a
# line, inside functions too. A regular expression, not ast: parsing every module on every
# Snakemake call cost ~1 s; a text in a docstring that looks like an import only adds a module
# to the hash (conservative), and tests/test_codehash.py checks the closures of every script.
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)|import[ \t]+([^\n#]+))",
    re.MULTILINE,
)


def _names(listed: str) -> list[str]:
    """``a, b as c`` or ``(a,\n b)`` → ``["a", "b"]``."""
    parts = listed.strip().strip("()").replace("\\", " ").split(",")
    return [p.split()[0] for p in (q.strip() for q in parts) if p]


@functools.cache
def _imported(path: Path, src_root: Path) -> frozenset[str]:
    """Names of the chainpb modules ``path`` imports (a ``from m import x`` counts ``m`` and,
    when ``x`` is a submodule, ``m.x``)."""
    text = path.read_text(encoding="utf-8")
    is_package = path.name == "__init__.py"
    own = _module_name(path, src_root) if path.is_relative_to(src_root / PACKAGE) else ""
    names: set[str] = set()
    for match in _IMPORT.finditer(text):
        source, listed, plain = match.groups()
        if plain is not None:
            names |= set(_names(plain))
            continue
        level = len(source) - len(source.lstrip("."))
        module = source[level:]
        if level:  # relative import inside the package
            base = own.split(".") if is_package else own.split(".")[:-1]
            base = base[: len(base) - (level - 1)]
            module = ".".join([*base, module] if module else base)
        names.add(module)
        names |= {f"{module}.{name}" for name in _names(listed)}
    found: set[str] = set()
    for name in names:
        if name != PACKAGE and not name.startswith(PACKAGE + "."):
            continue
        # importing chainpb.a.b runs chainpb/__init__ and chainpb/a/__init__ too
        parts = name.split(".")
        found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return frozenset(n for n in found if _module_file(n, src_root) is not None)


def library_closure(script: str | Path, src_root: str | Path = SRC_ROOT) -> list[Path]:
    """The chainpb module files ``script`` imports, directly or indirectly, sorted."""
    src_root = Path(src_root)
    seen: dict[str, Path] = {}
    todo = sorted(_imported(Path(script), src_root))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(name, src_root)
        assert path is not None
        seen[name] = path
        todo += sorted(_imported(path, src_root) - set(seen))
    return sorted(seen.values())


@functools.cache
def code_hash(script: str | Path, src_root: str | Path = SRC_ROOT, length: int = 16) -> str:
    """SHA-256 (first ``length`` hex digits) over the script and its library closure: each file's
    path relative to its root and its bytes, so a renamed or moved module changes it too."""
    script, src_root = Path(script), Path(src_root)
    digest = hashlib.sha256()
    for path, root in [
        (script, script.parent),
        *((p, src_root) for p in library_closure(script, src_root)),
    ]:
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:length]
