"""Tests of the command line ``python -m rmtlib run|book``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from rmtlib.pipeline.cli import main

PLACEHOLDER = Path(__file__).parent / "data" / "placeholder_chapter.ipynb"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A working directory with notebooks/99_placeholder.ipynb and its profiles."""
    (tmp_path / "notebooks").mkdir()
    nb = nbformat.read(str(PLACEHOLDER), as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("CHAPTER", "99_placeholder")
    nbformat.write(nb, str(tmp_path / "notebooks" / "99_placeholder.ipynb"))
    (tmp_path / "notebooks" / "profiles.yml").write_text(
        "99_placeholder:\n  ci: {N: 30, seed: 2}\n  full: {N: 50, seed: 1}\n"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["-p", "N", "1"], "N = 1: must be >= 2"),
        (["-p", "sigma", "0"], "sigma = 0.0: must be > 0"),
        (["-p", "N", "big"], "N = 'big': expected int, got 'big' (str)"),
        (["-p", "NN", "4"], "unknown parameter 'NN'"),
        (["-p", "seed", "1", "-p", "seed", "2"], "parameter 'seed' is given twice"),
    ],
)
def test_run_refuses_bad_parameters_before_executing(project, capsys, arguments, expected):
    assert main(["run", "notebooks/99_placeholder.ipynb", *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err
    if "twice" not in expected:
        assert "accepted parameters:" in err and "  sigma: float (> 0), default 1.0" in err
    assert not (project / "_build").exists()


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--params", "{N: 1}"], "N = 1: must be >= 2"),  # checked exactly like -p
        (["--params", "{sigma: 0, NN: 4}"], "sigma = 0.0: must be > 0\n  unknown parameter 'NN'"),
        (["--params", "{N: big}"], "N = 'big': expected int, got 'big' (str)"),
        (["--params", "{seed: 1}", "-p", "seed", "2"], "parameter 'seed' is given twice"),
        (["--params", "{seed: 1, seed: 2}"], "--params is not a valid YAML mapping: 'seed' is given twice"),
        (["--params", "{N: [1, 2"], "--params is not a valid YAML mapping"),
        (["--params", "[1, 2]"], "--params must be a YAML mapping of parameter names to values"),
        (["--params", "40"], "--params must be a YAML mapping of parameter names to values"),
        (["--params", "missing.yml"], "--params: no parameters file 'missing.yml'"),
    ],
)
def test_run_params_are_refused_like_p(project, capsys, arguments, expected):
    assert main(["run", "99_placeholder", *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err
    assert not (project / "_build").exists()


def test_run_params_from_a_string_or_a_file_merge_with_p(project, monkeypatch):
    calls = []

    def fake_execute(notebook, parameters, output, **kwargs):
        calls.append(parameters)
        raise KeyboardInterrupt  # stop before a kernel starts (exit 130): the parameters are what we test

    from rmtlib.pipeline import runner

    monkeypatch.setattr(runner, "execute", fake_execute)
    (project / "mine.yml").write_text("N: 44\nNs: [5, 6]\nsigma: 1e-1\n")
    for params in ("{N: 44, Ns: [5, 6], sigma: 1e-1}", "mine.yml", str(project / "mine.yml")):
        code = main(
            ["run", "99_placeholder", "--profile", "ci", "--params", params, *["-p", "entries", "rademacher"]]
        )
        assert code == 130
    assert calls == [{"N": 44, "seed": 2, "Ns": [5, 6], "sigma": 0.1, "entries": "rademacher"}] * 3
    # an empty workflow input
    assert main(["run", "99_placeholder", "--profile", "ci", "--params", ""]) == 130
    assert calls[-1] == {"N": 30, "seed": 2}


def test_run_names_a_missing_notebook(project, capsys):
    assert main(["run", "01_nothing"]) == 2
    assert "no notebook '01_nothing' (looked for notebooks/01_nothing.ipynb)" in capsys.readouterr().err


def test_run_executes_with_profile_and_overrides(project, capsys):
    assert main(["run", "99_placeholder", "--profile", "ci", "-p", "N", "36", "-p", "Ns", "[5, 6]"]) == 0
    out = capsys.readouterr().out
    output = project / "_build" / "runs" / "99_placeholder"
    assert f"executed notebook: {Path('_build/runs/99_placeholder/99_placeholder.ipynb')}" in out
    assert "[PASS] T1 largest eigenvalue" in out and "N=36" in out
    record = nbformat.read(str(output / "99_placeholder.ipynb"), as_version=4).metadata["rmtlib"]
    assert record["parameters"] == {"N": 36, "seed": 2, "Ns": [5, 6]}
    assert (output / "figures" / "key_figure.png").is_file()


def test_module_entry_point_reports_refusals(project):
    done = subprocess.run(
        [sys.executable, "-m", "rmtlib", "run", "99_placeholder", "-p", "seed", "-3"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "seed = -3: must be >= 0" in done.stderr
    assert "Traceback" not in done.stderr


def test_book_refuses_an_unknown_profile(capsys):
    with pytest.raises(SystemExit):
        main(["book", "--profile", "huge"])
    assert "invalid choice: 'huge'" in capsys.readouterr().err


def test_book_outside_a_repository_says_so(tmp_path, capsys):
    assert main(["book", "--root", str(tmp_path), "--profile", "ci"]) == 1
    assert "has no _config.yml: run the book command from the repository root" in capsys.readouterr().err


def test_sweep_command_is_wired_to_rmtlib_sweep(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "missing.yml")]) == 2
    assert "missing.yml does not exist" in capsys.readouterr().err
