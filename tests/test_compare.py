"""`python -m rmtlib compare`: verdict by verdict against the published notebook, and why they differ."""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys

import nbformat
import pytest
from tiny_book import verdict_notebook

from rmtlib.pipeline import compare
from rmtlib.pipeline.fingerprint import fingerprint
from rmtlib.verdict import Verdict

FINGERPRINT = fingerprint("full", {"N": 400, "seed": 1})


def main(argv) -> int:
    """The `compare` sub-command as the command line parses and runs it."""
    parser = argparse.ArgumentParser()
    compare.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


def test_the_command_line_has_the_compare_command():
    done = subprocess.run(
        [sys.executable, "-m", "rmtlib", "compare", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "--published" in done.stdout and "verdict by verdict" in done.stdout


def _verdict(quantity: str, observed: float) -> Verdict:
    return Verdict("T4", quantity, 1.0, observed, 0.1, abs(observed - 1.0) <= 0.1, 400, 2, 1.5)


def _write(path, verdicts, *, chapter="04_x", parameters=None, fp=None, content_hash="abc"):
    nb = verdict_notebook(verdicts)
    parameters = parameters or {"N": 400, "seed": 1}
    fp = copy.deepcopy(fp or FINGERPRINT)
    fp["parameters"] = parameters
    nb.metadata["rmtlib"] = {
        "chapter": chapter,
        "content_hash": content_hash,
        "profile": "full",
        "parameters": parameters,
        "fingerprint": fp,
    }
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def published(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "_build" / "executed" / "full"
    folder.mkdir(parents=True)
    return _write(folder / "04_x.ipynb", [_verdict("outlier error", 1.03), _verdict("bulk KS", 0.98)])


def test_an_identical_rerun_is_reported_reproduced(published, tmp_path, capsys):
    rerun = _write(tmp_path / "rerun.ipynb", [_verdict("outlier error", 1.03), _verdict("bulk KS", 0.98)])
    assert main(["compare", str(rerun)]) == 0
    out = capsys.readouterr().out
    assert "published 1.03   rerun 1.03   difference +0   tolerance 0.1   identical" in out
    assert out.rstrip().endswith("Reproduced: all 2 verdict values are identical to the published ones.")


def test_another_seed_is_named_as_the_reason_values_differ(published, tmp_path, capsys):
    rerun = _write(
        tmp_path / "rerun.ipynb",
        [_verdict("outlier error", 1.06), _verdict("bulk KS", 0.98)],
        parameters={"N": 400, "seed": 7},
        content_hash="def",
    )
    assert main(["compare", str(rerun), "--published", str(published)]) == 1
    out = capsys.readouterr().out
    assert (
        "T4 outlier error\n  published 1.03   rerun 1.06   difference +0.03   tolerance 0.1   "
        "differs (passes)" in out
    )
    assert "Not reproduced exactly: 1 of 2 verdict values differ or are missing." in out
    assert "  parameters seed: 1 -> 7" in out and "another seed draws other matrices" in out
    assert "BLAS" not in out  # only what differs is listed


def test_another_blas_thread_count_and_numpy_are_named(published, tmp_path, capsys):
    fp = copy.deepcopy(FINGERPRINT)
    fp["blas"][0]["threads"] += 1
    fp["packages"]["numpy"] = "1.26.0"
    rerun = _write(
        tmp_path / "r.ipynb", [_verdict("outlier error", 1.0300000000001), _verdict("bulk KS", 0.98)], fp=fp
    )
    assert main(["compare", str(rerun)]) == 1
    out = capsys.readouterr().out
    assert f"  packages numpy: '{FINGERPRINT['packages']['numpy']}' -> '1.26.0'" in out
    assert f"  BLAS of {fp['blas'][0]['used_by']}: threads: " in out and "order of floating-point sums" in out
    assert "parameters" not in out.split("differs from the published build in:")[1]


def test_same_environment_other_code_and_a_missing_verdict(published, tmp_path, capsys):
    rerun = _write(tmp_path / "r.ipynb", [_verdict("outlier error", 1.02)], content_hash="other")
    assert main(["compare", str(rerun)]) == 1
    out = capsys.readouterr().out
    assert "T4 bulk KS\n  only in the published book" in out
    assert "the chapter's cells or the rmtlib source differ" in out


def test_unreadable_or_mismatched_notebooks_are_refused_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rerun = _write(tmp_path / "r.ipynb", [_verdict("outlier error", 1.02)])
    assert main(["compare", str(rerun)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no published notebook at _build/executed/full/04_x.ipynb: build the book")
    other = _write(tmp_path / "o.ipynb", [], chapter="05_y")
    assert main(["compare", str(rerun), "--published", str(other)]) == 2
    assert "is chapter 04_x but" in capsys.readouterr().err
    plain = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), str(plain))
    assert main(["compare", str(plain)]) == 2
    assert "has no rmtlib record" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "none.ipynb")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
