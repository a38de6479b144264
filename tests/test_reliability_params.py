"""Regression tests of hostile parameter input to `python -m rmtlib run` (second reliability
review, items 1, 3, 4 and 12): each is refused quickly, in bounded memory, with one line and exit 2."""

from __future__ import annotations

import time
import tracemalloc

import pytest
from reliability import TINY, make_project

from rmtlib.pipeline.cli import main
from rmtlib.pipeline.parameters import ParameterError, parse_parameters


@pytest.fixture
def project(tmp_path, monkeypatch):
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _refused(capsys, *arguments: str, seconds: float = 5.0, megabytes: float = 50.0) -> str:
    """Run the command line in this process: exit 2, one error message (a refused value also lists
    the accepted parameters), no traceback, short, fast and in bounded memory."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        code = main(["run", TINY, *arguments])
    finally:
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    err = capsys.readouterr().err
    assert code == 2, err[-2000:]
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert peak < megabytes, f"peak {peak:.0f} MB"
    assert err.startswith("error: ") and "Traceback" not in err, err[-2000:]
    assert len(err) < 2000, len(err)
    return err


def _laughs(levels: int) -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("inline", [False, True])
def test_item1_yaml_aliases_are_refused_at_once(project, capsys, inline):
    (project / "laughs.yml").write_text(_laughs(9))  # 10^9 strings once expanded
    source = _laughs(9).replace("\n", ", ").rstrip(", ") if inline else "laughs.yml"
    line = _refused(capsys, "--params", "{" + source + "}" if inline else source, seconds=2)
    assert "aliases (*a0, line" in line and "are not accepted" in line


def test_item1_aliases_in_a_value_are_refused(project, capsys):
    assert "-p widths: aliases" in _refused(capsys, "-p", "widths", "[&x 1, *x]")


@pytest.mark.parametrize("how", ["-p", "--params", "file"])
def test_item3_deep_nesting_is_one_line_not_a_recursion_error(project, capsys, how):
    deep = "[" * 10_000 + "]" * 10_000
    (project / "deep.yml").write_text(f"widths: {deep}\n")
    arguments = {
        "-p": ["-p", "widths", deep],
        "--params": ["--params", f"{{widths: {deep}}}"],
        "file": ["--params", "deep.yml"],
    }[how]
    line = _refused(capsys, *arguments)
    assert "nest deeper than 50 levels" in line and "Recursion" not in line


def test_item4_a_long_inline_mapping_is_a_mapping_not_a_file_name():
    text = "{" + ", ".join(f"name_{i}: [{i}, {i + 1}, {i + 2}]" for i in range(30)) + "}"
    assert len(text.encode()) > 255
    values = parse_parameters(text)
    assert len(values) == 30 and values["name_29"] == [29, 30, 31]
    with pytest.raises(ParameterError, match="not a valid YAML mapping"):
        parse_parameters("{" + "x" * 300 + ": [1, }")
    assert parse_parameters("N: 4\nseed: 2\n") == {"N": 4, "seed": 2}  # a mapping over lines


def test_item4_a_long_inline_mapping_reaches_validation(project, capsys):
    widths = ", ".join(f"{0.5 + i / 100:.2f}" for i in range(80))
    text = f"{{widths: [{widths}], N: 1}}"
    assert len(text.encode()) > 255
    err = _refused(capsys, "--params", text)
    assert "N = 1: must be >= 2" in err and "File name too long" not in err


def test_item12_huge_values_are_echoed_short(project, capsys):
    huge = "x" * 2_000_000  # over the one-million-character bound of YAML text
    line = _refused(capsys, "-p", "N", huge, seconds=3)
    assert "2,000,000 characters" in line and len(line) < 300
    line = _refused(capsys, "-p", "N", "y" * 100_000, seconds=3)
    assert "N = 'yyyy" in line and "(100000 characters)" in line


def test_item12_unhashable_keys_and_huge_integers_name_the_parameter(project, capsys):
    line = _refused(capsys, "--params", "{[1, 2]: 3}")
    assert "a key must be a name or a number, got a list" in line and "unhashable" not in line
    line = _refused(capsys, "-p", "N", "1" * 5000)
    assert "-p N: an integer of 5000 digits is too large" in line
    assert "4300" not in line and "sys.set_int_max_str_digits" not in line
    line = _refused(capsys, "-p", "N", "1" * 900)  # parses, then breaks the rule N <= 300
    assert "N = an int of 900 digits: must be <= 300" in line
