"""The seams between the chapters and the pipeline: what a chapter's kernel imports is inside the
content hash, and the pipeline's own modules (progress bars, the sweep writer) are not."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import nbformat
import pytest

from rmtlib.pipeline.runner import kernel_sources

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Modules outside the pipeline that re-export it: a chapter importing one would run unhashed code.
FACADES = {"rmtlib.sweep", "rmtlib.__main__"}


def _rmtlib_imports(notebook: Path) -> set[str]:
    found = set()
    for cell in nbformat.read(str(notebook), as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name.startswith("rmtlib")}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rmtlib"):
                found.add(node.module)
                if node.module == "rmtlib":  # `from rmtlib import laws`: a submodule, or a name
                    found |= {f"rmtlib.{a.name}" for a in node.names if _is_module(f"rmtlib.{a.name}")}
    return found


def _is_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _file(module: str) -> Path:
    return Path(importlib.util.find_spec(module).origin).resolve()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_module_a_chapter_imports_is_in_its_content_hash(notebook):
    hashed = {path.resolve() for path in kernel_sources()}
    imported = _rmtlib_imports(notebook)
    assert imported, f"{notebook.name} imports nothing of rmtlib"
    outside = sorted(m for m in imported if m in FACADES or _file(m) not in hashed)
    assert outside == [], f"{notebook.name} imports modules the content hash leaves out: {outside}"


def test_chapter_05_reads_a_store_with_the_hashed_reader():
    assert "rmtlib.sweep_results" in _rmtlib_imports(ROOT / "notebooks" / "05_growing_outliers.ipynb")
    assert _file("rmtlib.sweep_results") in {path.resolve() for path in kernel_sources()}


def test_the_pipeline_progress_bars_stay_out_of_the_content_hash():
    names = {path.relative_to(ROOT / "rmtlib").as_posix() for path in kernel_sources()}
    assert "pipeline/progress.py" not in names and "progress.py" not in names
    assert {"profiles.py", "sweep_results.py"} <= names and "run.py" not in names
