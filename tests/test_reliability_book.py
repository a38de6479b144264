"""Regression tests of the book build: the executed-notebook cache and what may be published.

The Jupyter Book rendering is replaced by a stub (the site itself is checked by
``tests/site`` after ``make site``). Each test names the item of the reliability review.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from tiny_book import write_chapter

from rmtlib.pipeline import runner, site
from rmtlib.verdict import VERDICT_KEY, read_verdicts


@pytest.fixture
def project(tiny_book) -> Path:
    return tiny_book


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
            for record in output.get("metadata", {}).get(VERDICT_KEY, []):
                record["passed"] = False
                text = "".join(output["data"]["text/plain"])
                output["data"]["text/plain"] = text.replace("PASS", "FAIL")
    _cached(project).write_text(json.dumps(nb))
    assert not read_verdicts(nbformat.read(str(_cached(project)), as_version=4))[0].passed
    logs = _build(project)
    assert "[book] 01_tiny: executing with the ci profile {'N': 20}" in logs, logs
    status = (project / "_build" / "source" / "book" / "status.md").read_text()
    assert "FAIL" not in status and "| 1 / 1 |" in status


def test_item5_a_failed_verdict_is_never_published(project):
    # a chapter that records a failing verdict but carries on must not reach the site
    write_chapter(
        project / "notebooks" / "01_tiny.ipynb",
        "try:\n    verdict.verdict_table(\n"
        "        [verdict.check('T0', 'bad', predicted=0.0, observed=1.0, tolerance=0.1, N=N)])\n"
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
    write_chapter(project / "notebooks" / "01_tiny.ipynb", extra)
    with pytest.raises(site.BookError, match=r"01_tiny.*stderr"):
        _build(project)
