"""The setup cell opening every chapter: a no-op where rmtlib imports, else an install from the repository.

The cell's source is executed here with ``subprocess.run`` replaced, so that no pip runs.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("setup_cell", ROOT / "tools" / "setup_cell.py")
setup_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup_cell)

URL = setup_cell.repository_url()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _run_cell(monkeypatch) -> list:
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    exec(compile(setup_cell.setup_source(URL), "<setup cell>", "exec"), {})
    return calls


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_chapter_opens_with_the_setup_cell(notebook):
    first = nbformat.read(str(notebook), as_version=4).cells[0]
    assert first.cell_type == "code" and first.source == setup_cell.setup_source(URL), (
        f"{notebook.name}: the first cell must be the setup cell; run `python tools/setup_cell.py`"
    )
    assert first.metadata.get("tags") == ["remove-cell"]  # hidden from the book, kept in the .ipynb
    assert first.outputs == [] and first.execution_count is None


def test_the_check_of_the_tool_agrees(tmp_path):
    assert setup_cell.differing(NOTEBOOKS, URL) == []
    copy = tmp_path / "09_new.ipynb"
    nb = nbformat.read(str(NOTEBOOKS[0]), as_version=4)
    nb.cells = nb.cells[1:]
    nbformat.write(nb, str(copy))
    assert setup_cell.differing([copy], URL) == ["09_new.ipynb"]
    assert setup_cell.refresh(copy, URL) and not setup_cell.refresh(copy, URL)
    assert setup_cell.differing([copy], URL) == []
    refreshed = nbformat.read(str(copy), as_version=4)
    assert refreshed.cells[0].id == "09-setup" and refreshed.cells[1:] == nb.cells


def test_does_nothing_and_prints_nothing_where_rmtlib_imports(monkeypatch, capsys):
    assert _run_cell(monkeypatch) == []
    assert capsys.readouterr() == ("", "")


def test_installs_rmtlib_from_the_repository_where_it_does_not_import(monkeypatch):
    monkeypatch.setitem(sys.modules, "rmtlib", None)  # `import rmtlib` now raises ImportError
    ((args, kwargs),) = _run_cell(monkeypatch)
    command = args[0]
    assert command == [sys.executable, "-m", "pip", "install", "--quiet", f"rmtlib @ git+{URL}"]
    assert kwargs == {"check": True}  # a failed install stops the notebook here
    requirement = Requirement(command[-1])
    assert requirement.name == "rmtlib" and requirement.url == f"git+{URL}"


def test_repository_url_is_a_github_repository():
    assert URL.startswith("https://github.com/") and URL.count("/") == 4 and not URL.endswith("/")
