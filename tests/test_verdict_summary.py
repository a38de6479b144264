"""tools/verdict_summary.py: the verdict table of the rerun and nightly job summaries."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
from tiny_book import verdict_notebook

from rmtlib.verdict import Verdict

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "verdict_summary.py"
_spec = importlib.util.spec_from_file_location("verdict_summary", SCRIPT)
summary = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(summary)


def _verdict(quantity, observed, passed=True):
    return Verdict(
        theorem="T1",
        quantity=quantity,
        predicted=0.0,
        observed=observed,
        tolerance=0.05,
        passed=passed,
        N=400,
        seeds=2,
        runtime_s=1.0,
        detectable=0.12,
    )


def _write(path: Path, verdicts, *, record=True):
    nb = verdict_notebook(verdicts)
    if record:
        nb.metadata["rmtlib"] = {"chapter": path.stem, "profile": "ci", "parameters": {"N": 400}}
    else:
        nb.metadata["papermill"] = {"parameters": {"N": 8000, "seed": 3}}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def test_a_passing_run_gives_one_row_per_verdict(tmp_path):
    _write(tmp_path / "01_a" / "01_a.ipynb", [_verdict("KS | distance", 0.01), _verdict("edge", 0.02)])
    text, ok = summary.summarize(summary.collect([tmp_path]), ["01_a"])
    assert ok and text.startswith("## Verdicts: all passed")
    assert '| 01_a | ci | executed | 2 of 2 passed | `{"N": 400}` |' in text
    assert "| 01_a | T1 | KS \\| distance | 0 | 0.01 | 0.05 | 0.12 | 400 | 2 | PASS |" in text


def test_failed_verdicts_failed_runs_and_missing_chapters_fail(tmp_path):
    _write(tmp_path / "01_a.ipynb", [_verdict("KS", 0.2, passed=False)])
    _write(tmp_path / "02_b.ipynb", [_verdict("KS", 0.01)])
    _write(tmp_path / "02_b.failed.ipynb", [_verdict("KS", 0.3, passed=False)], record=False)
    _write(tmp_path / "04_d.ipynb", [])
    found = summary.collect([tmp_path, tmp_path / "absent"])
    assert found["02_b"].name == "02_b.failed.ipynb"  # the failed run is the latest one
    text, ok = summary.summarize(found, ["01_a", "02_b", "03_c", "04_d"])
    assert not ok and "some chapters failed or did not run" in text
    assert "| 01_a | ci | executed | 0 of 1 passed |" in text
    assert '| 02_b |  | **failed** | 0 of 1 passed | `{"N": 8000, "seed": 3}` |' in text
    assert "| 03_c | | **not run** | | |" in text
    assert "| 04_d | ci | executed | 0 of 0 passed |" in text
    for chapter in ("01_a", "02_b", "04_d"):  # each alone fails the summary
        assert not summary.summarize({chapter: found[chapter]})[1]


def test_nothing_found_is_a_failure(tmp_path):
    assert summary.summarize(summary.collect([tmp_path / "absent"]))[1] is False
    text, ok = summary.summarize({}, ["03_c"])
    assert not ok and "| theorem |" not in text  # no empty verdict table


def test_command_line_prints_the_table_and_sets_the_exit_status(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "01_a.ipynb").write_text("{}")
    (notebooks / "02_b.ipynb").write_text("{}")
    runs = tmp_path / "runs"
    _write(runs / "nightly-01_a" / "01_a.ipynb", [_verdict("KS", 0.01)])
    command = [sys.executable, str(SCRIPT), "--expect", str(notebooks), str(runs)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 1 and "| 02_b | | **not run** | | |" in result.stdout, result.stderr
    _write(runs / "nightly-02_b" / "02_b.ipynb", [_verdict("KS", 0.01)])
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0 and "## Verdicts: all passed" in result.stdout, result.stderr
