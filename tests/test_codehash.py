"""The library-code hash each rule carries as a parameter (chainpb.codehash): it changes when,
and only when, a module the rule's script imports (directly or indirectly) changes."""

from __future__ import annotations

from pathlib import Path

from chainpb.codehash import code_hash, library_closure

ROOT = Path(__file__).resolve().parents[1]


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    """src/chainpb with text → text.util (relative import), models (lazy import of stats),
    and present, which the script does not use."""
    src = tmp_path / "src"
    files = {
        "chainpb/__init__.py": "",
        "chainpb/text/__init__.py": "from .util import clean\n",
        "chainpb/text/util.py": "def clean(x):\n    return x\n",
        "chainpb/models/__init__.py": "",
        "chainpb/models/fit.py": "def fit():\n    from chainpb.models import stats\n",
        "chainpb/models/stats.py": "X = 1\n",
        "chainpb/present/__init__.py": "import matplotlib\n",
    }
    for name, text in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text, encoding="utf-8")
    script = tmp_path / "scripts" / "run.py"
    script.parent.mkdir()
    script.write_text(
        "from chainpb.text import clean\nimport chainpb.models.fit\n", encoding="utf-8"
    )
    return src, script


def test_closure_follows_relative_lazy_and_package_imports(tmp_path: Path) -> None:
    src, script = _tree(tmp_path)
    names = [p.relative_to(src).as_posix() for p in library_closure(script, src)]
    assert names == [
        "chainpb/__init__.py",
        "chainpb/models/__init__.py",
        "chainpb/models/fit.py",
        "chainpb/models/stats.py",  # imported inside a function
        "chainpb/text/__init__.py",
        "chainpb/text/util.py",  # relative import in text/__init__
    ]


def test_hash_changes_only_with_the_code_the_script_uses(tmp_path: Path) -> None:
    src, script = _tree(tmp_path)
    before = code_hash.__wrapped__(script, src)
    (src / "chainpb/present/__init__.py").write_text("import seaborn\n", encoding="utf-8")
    assert code_hash.__wrapped__(script, src) == before  # present/ is not imported
    (src / "chainpb/models/stats.py").write_text("X = 2\n", encoding="utf-8")
    assert code_hash.__wrapped__(script, src) != before


def test_project_scripts_import_only_their_stage() -> None:
    """The segmentation rule does not rerun when a table writer changes, and vice versa."""
    segment = {
        p.relative_to(ROOT / "src").parts[1] for p in library_closure(ROOT / "scripts/segment.py")
    }
    assert "present" not in segment and "models" not in segment and "text" in segment
    fit = {
        p.relative_to(ROOT / "src").parts[1] for p in library_closure(ROOT / "scripts/fit_model.py")
    }
    assert "models" in fit and "present" not in fit and "text" not in fit


def test_import_scan_agrees_with_the_python_parser() -> None:
    """The import lines are found with a regular expression (fast enough for every Snakemake
    call); on every module of the project and every script it finds what :mod:`ast` finds."""
    import ast

    from chainpb.codehash import SRC_ROOT, _imported, _module_file

    def by_ast(path: Path) -> set[str]:
        if path.is_relative_to(SRC_ROOT):
            own = ".".join(path.relative_to(SRC_ROOT).with_suffix("").parts)
            package = own.removesuffix(".__init__")
            package = package if path.name == "__init__.py" else package.rsplit(".", 1)[0]
        else:  # a script: no relative imports
            package = ""
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = (
                    ".".join([*base, node.module] if node.module else base)
                    if node.level
                    else node.module or ""
                )
                names |= {module} | {f"{module}.{a.name}" for a in node.names}
        out: set[str] = set()
        for name in names:
            if name.split(".")[0] == "chainpb":
                parts = name.split(".")
                out |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
        return {n for n in out if _module_file(n, SRC_ROOT) is not None}

    files = [*(SRC_ROOT / "chainpb").rglob("*.py"), *(ROOT / "scripts").glob("*.py")]
    assert len(files) > 80
    differ = [str(f) for f in files if set(_imported(f, SRC_ROOT)) != by_ast(f)]
    assert not differ, differ
