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
