"""Regression tests of `python -m rmtlib run`: outputs, locks, `-p` values, rules, one-line errors.

Each test names the defect of the reliability review it covers (item N).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from reliability import TINY, assert_one_line_error, cli, finish, make_project, start

REPO = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path)


def _run(project: Path, *arguments: str, **kwargs):
    return cli(project, "run", TINY, "--profile", "ci", *arguments, **kwargs)


# --------------------------------------------------------------------------- item 1, 2, 3


def test_item1_output_folder_with_foreign_files_is_refused_and_kept(project):
    mine = project / "mine" / "figures"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("keep me")
    result = _run(project, "--output", "mine")
    assert_one_line_error(result, 2, "mine", "--output")
    assert (mine / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def test_item1_a_folder_the_runner_made_is_reused(project):
    for _ in range(2):
        result = _run(project, "--output", "out")
        assert result.returncode == 0, result.stderr[-2000:]
    assert (project / "out" / "figures" / "curve.png").is_file()
    executed = json.loads((project / "out" / f"{TINY}.ipynb").read_text())
    assert executed["metadata"]["rmtlib"]["parameters"]["N"] == 30


def test_item2_output_onto_the_source_notebook_is_refused(project):
    source = project / "notebooks" / f"{TINY}.ipynb"
    before = source.read_bytes()
    result = _run(project, "--output", "notebooks")
    assert_one_line_error(result, 2, "notebooks")
    assert source.read_bytes() == before
    assert not (project / "notebooks" / "figures").exists()


def test_item3_two_runs_into_one_folder_at_once_the_second_is_refused(project):
    first = start(project, "run", TINY, "--profile", "ci", "-p", "delay", "6", "--output", "out")
    first.stderr.readline()  # "running ..." is printed once the first run holds the folder
    second = _run(project, "--output", "out", timeout=120)
    first = finish(first)
    assert first.returncode == 0, first.stderr[-2000:]
    assert_one_line_error(second, 2, "out", "another run")
    assert (project / "out" / "figures" / "curve.png").is_file()


# --------------------------------------------------------------------------- item 9


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("N", "0400", "N = 400: must be <= 300"),  # not octal 256
        ("seed", "010", "seed = 10: must be <= 9"),  # not octal 8
        ("N", "1:30", "N = '1:30': expected int"),  # not base 60
        ("sigma", "-1e-3", "sigma = -0.001: must be > 0"),  # a negative number is a value
        ("widths", "[1e-3]", "widths = [0.001]: must be > 0.01"),  # a float list
    ],
)
def test_item9_parameter_values_are_yaml_1_2(project, name, text, expected):
    # the unknown name makes sure nothing runs, whatever the value is read as
    result = _run(project, "-p", name, text, "-p", "zz_unknown", "1")
    assert result.returncode == 2, result.stderr[-2000:]
    assert expected in result.stderr and "unknown parameter 'zz_unknown'" in result.stderr


def test_item9_a_leading_zero_value_runs_as_decimal(project):
    result = _run(project, "-p", "N", "040", "-p", "seed", "07", "--output", "out")
    assert result.returncode == 0, result.stderr[-2000:]
    executed = json.loads((project / "out" / f"{TINY}.ipynb").read_text())
    assert {k: executed["metadata"]["rmtlib"]["parameters"][k] for k in ("N", "seed")} == {"N": 40, "seed": 7}


# --------------------------------------------------------------------------- item 13


@pytest.mark.parametrize(
    ("chapter", "name", "text"),
    [
        ("01_semicircle", "edge_sizes", "[]"),
        ("01_semicircle", "entry_laws", "[]"),
        ("05_growing_outliers", "sizes", "[1000000]"),
        ("05_growing_outliers", "dense_N", "1000000"),
        ("06_rectangular", "gammas", "[-1.0]"),
        ("06_rectangular", "N", "1000000"),
        ("07_pruning", "N", "1000000"),
        ("07_pruning", "max_iter", "-5"),
        ("07_pruning", "rank_fractions", "[7, -1]"),
    ],
)
def test_item13_impossible_values_are_refused_before_running(tmp_path, chapter, name, text):
    # every problem is reported at once: the unknown name guarantees that nothing runs
    result = cli(
        REPO, "run", chapter, "-p", name, text, "-p", "zz_unknown", "1", "--output", str(tmp_path / "o")
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert re.search(rf"^  {name} = .*: must ", result.stderr, re.MULTILINE), result.stderr


_SIZE = re.compile(r"^(N|M|.*_N|N_.*|.*sizes|hidden)$")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_item13_every_parameter_of_every_chapter_has_a_rule(tmp_path, chapter):
    result = cli(REPO, "run", chapter, "-p", "zz_unknown", "1", "--output", str(tmp_path / "o"))
    assert result.returncode == 2
    listing = result.stderr.split("accepted parameters:\n", 1)[1]
    lines = re.findall(r"^  (\w+): (\S+?)(?: \((.*)\))?, default ", listing, re.MULTILINE)
    assert lines
    for name, kind, bounds in lines:
        if kind != "bool":
            assert bounds, f"{chapter}: parameter {name} ({kind}) has no rule"
        if _SIZE.match(name):
            assert "<=" in bounds, f"{chapter}: size {name} has no upper bound"


# --------------------------------------------------------------------------- item 16


def test_item16_a_dead_kernel_is_one_line_naming_the_chapter_and_keeps_the_notebook(project):
    result = _run(project, "-p", "die", "true", "--output", "out")
    line = assert_one_line_error(result, 1, TINY, "kernel")
    failed = project / "out" / f"{TINY}.failed.ipynb"
    assert str(Path("out") / f"{TINY}.failed.ipynb") in line and failed.is_file()
    assert not (project / "out" / f"{TINY}.ipynb").exists()


@pytest.mark.parametrize("where", ["a_file", "/dev/null", "/dev/null/below", "a_file/below"])
def test_item16_an_impossible_output_is_one_line(project, where):
    (project / "a_file").write_text("not a folder")
    result = _run(project, "--output", where)
    assert_one_line_error(result, 2, where)
    assert (project / "a_file").read_text() == "not a folder"
