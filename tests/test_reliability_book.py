"""Regression tests of the book build: the executed-notebook cache and what may be published.

The Jupyter Book rendering is replaced by a stub (the site itself is checked by
``tests/site`` after ``make site``). Each test names the item of the reliability review.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from rmtlib.pipeline import runner, site
from rmtlib.verdict import VERDICT_KEY, read_verdicts


def _chapter(path: Path, extra: str = "") -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny chapter"),
        nbformat.v4.new_code_cell("N = 10", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "from rmtlib import verdict\n"
            "verdict.check('T0', 'identity', predicted=1.0, observed=1.0 + 1 / N, tolerance=0.5, N=N)\n"
            + extra
        ),
    ]
    nbformat.write(nb, str(path))


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    (tmp_path / "book").mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_config.yml").write_text("title: tiny\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/01_tiny\n  - file: book/status\n"
    )
    (tmp_path / "book" / "intro.md").write_text("# Intro\n")
    (tmp_path / "notebooks" / "profiles.yml").write_text("01_tiny:\n  ci: {N: 20}\n  full: {N: 40}\n")
    _chapter(tmp_path / "notebooks" / "01_tiny.ipynb")
    monkeypatch.setattr(site, "_copy_mathjax", lambda root, staging, log: None)
    monkeypatch.setattr(
        site, "_render", lambda root, staging, profile, log: site.site_dir(root, profile) / "index.html"
    )
    return tmp_path


def _build(project: Path) -> list[str]:
    logs: list[str] = []
    site.build_book(project, profile="ci", log=logs.append)
    return logs


def _cached(project: Path) -> Path:
    return project / "_build" / "executed" / "ci" / "01_tiny.ipynb"


def _staged(project: Path) -> Path:
    return project / "_build" / "source" / "notebooks" / "01_tiny.ipynb"


# --------------------------------------------------------------------------- item 4


def test_item4_an_unreadable_cache_entry_is_a_miss_with_a_notice(project):
    _build(project)
    text = _cached(project).read_text()
    _cached(project).write_text(text[: len(text) // 2])  # what a kill mid-write used to leave
    logs = _build(project)
    notices = [line for line in logs if "unreadable" in line]
    assert len(notices) == 1 and "01_tiny" in notices[0], logs
    assert "[book] 01_tiny: executing with the ci profile {'N': 20}" in logs
    assert read_verdicts(nbformat.read(str(_cached(project)), as_version=4))[0].observed == 1.05


def test_item4_a_write_killed_midway_leaves_the_previous_entry(project, monkeypatch):
    _build(project)
    before = _cached(project).read_text()
    real_write = nbformat.write

    def killed_midway(nb, fp, *args, **kwargs):
        text = nbformat.writes(nb)
        Path(fp).write_text(text[: len(text) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(nbformat, "write", killed_midway)
    notebook = project / "notebooks" / "01_tiny.ipynb"
    figures = project / "_build" / "executed" / "ci" / "figures" / "01_tiny"
    with pytest.raises(KeyboardInterrupt):
        runner.execute(
            notebook, {"N": 30}, _cached(project), profile="ci", figures_dir=figures, progress_bar=False
        )
    monkeypatch.setattr(nbformat, "write", real_write)
    assert _cached(project).read_text() == before
    assert sorted(p.name for p in _cached(project).parent.glob("*ipynb*")) == ["01_tiny.ipynb"]


# --------------------------------------------------------------------------- item 5


def test_item5_a_cache_entry_edited_by_hand_is_re_executed(project):
    _build(project)
    nb = json.loads(_cached(project).read_text())
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get(VERDICT_KEY)
            if record:
                record["passed"] = False
                text = "".join(output["data"]["text/plain"])
                output["data"]["text/plain"] = text.replace("PASS", "FAIL")
    _cached(project).write_text(json.dumps(nb))
    assert not read_verdicts(nbformat.read(str(_cached(project)), as_version=4))[0].passed
    logs = _build(project)
    assert "[book] 01_tiny: executing with the ci profile {'N': 20}" in logs, logs
    status = (project / "_build" / "source" / "book" / "status.md").read_text()
    assert "FAIL" not in status and "| pass |" in status


def test_item5_a_failed_verdict_is_never_published(project):
    # a chapter that records a failing verdict but carries on must not reach the site
    _chapter(
        project / "notebooks" / "01_tiny.ipynb",
        "try:\n    verdict.check('T0', 'bad', predicted=0.0, observed=1.0, tolerance=0.1, N=N)\n"
        "except verdict.VerdictError:\n    pass\n",
    )
    with pytest.raises(site.BookError, match=r"01_tiny.*verdict"):
        _build(project)
    assert not (project / "_build" / "source" / "book" / "status.md").exists()


# --------------------------------------------------------------------------- item 6


def test_item6_published_notebooks_carry_no_local_path(project):
    _build(project)
    text = _staged(project).read_text()
    assert str(project) not in text and "/tmp/" not in text
    papermill = json.loads(text)["metadata"].get("papermill", {})
    assert "input_path" not in papermill and "output_path" not in papermill


# --------------------------------------------------------------------------- item 7


@pytest.mark.parametrize(
    "extra",
    [
        "import warnings\nwarnings.warn('careful')\n",
        "import sys\nprint('something odd', file=sys.stderr)\n",
    ],
)
def test_item7_stderr_in_a_chapter_fails_the_build(project, extra):
    _chapter(project / "notebooks" / "01_tiny.ipynb", extra)
    with pytest.raises(site.BookError, match=r"01_tiny.*stderr"):
        _build(project)
