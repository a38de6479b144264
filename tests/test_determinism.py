"""A chapter rerun with the same parameters gives the same numbers.

Chapter 06 (fast, with 18 verdicts of which two change with the BLAS thread count)
is executed three times, side by side, with its `ci` profile through `python -m rmtlib run`:
twice with one BLAS thread, whose verdict values and printed numbers must be identical, bit
for bit; and once with two BLAS threads, whose verdict values may differ only by the
rounding of another summation order: at most THREADS_RTOL relative.
The environment fingerprint recorded in each run proves the thread count reached the
kernel. (Sweeps give one row per task whatever the worker count: tests/test_sweep.py.)
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from rmtlib.pipeline.runner import BLAS_THREAD_VARIABLES
from rmtlib.verdict import read_verdicts

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "06_rectangular"
#: Largest relative difference allowed between verdict values computed with one and with
#: two BLAS threads. Measured at the `ci` sizes: 1.6e-14 (chapter 04, one of 12 values
#: differs), 2.5e-14 (chapter 06, 2 of 18); 1e-12 leaves a margin of about 40.
THREADS_RTOL = 1e-12
_RUNTIME = re.compile(r"runtime \d+(\.\d+)? s\)")  # the verdict summary's elapsed time
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _start(folder: Path, threads: int) -> subprocess.Popen:
    """Start the chapter as a reader would, `python -m rmtlib run`, with ``threads`` BLAS threads."""
    env = {**os.environ, **dict.fromkeys(BLAS_THREAD_VARIABLES, str(threads))}
    command = [sys.executable, "-m", "rmtlib", "run", CHAPTER, "--profile", "ci", "--output", str(folder)]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """The three runs, side by side (on 2 cores this halves the wait; results must not care)."""
    folders = {key: tmp_path_factory.mktemp(key) for key in ("first", "second", "two_threads")}
    started = {key: _start(folders[key], 2 if key == "two_threads" else 1) for key in folders}
    for process in started.values():
        _, stderr = process.communicate()
        assert process.returncode == 0, stderr[-2000:]
    return {key: nbformat.read(str(folders[key] / f"{CHAPTER}.ipynb"), as_version=4) for key in folders}


def _verdict_values(nb) -> list[dict]:
    values = [dataclasses.asdict(v) for v in read_verdicts(nb)]
    for value in values:
        del value["runtime_s"]  # wall-clock time, not a result
    return values


def _printed_numbers(nb) -> list[tuple[int, list[str]]]:
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for text in (output.get("text"), data.get("text/plain"), data.get("text/markdown")):
                if text:
                    found.append((index, _NUMBER.findall(_RUNTIME.sub("runtime)", "".join(text)))))
    return found


def _threads(nb) -> set[int]:
    return {lib["threads"] for lib in nb.metadata["rmtlib"]["fingerprint"]["blas"]}


def test_a_rerun_with_the_same_seed_gives_identical_verdicts_and_printed_numbers(runs):
    first, second = runs["first"], runs["second"]
    assert _threads(first) == _threads(second) == {1}
    assert len(_verdict_values(first)) >= 2
    assert _verdict_values(first) == _verdict_values(second)
    numbers = _printed_numbers(first)
    assert sum(len(found) for _, found in numbers) > 20  # the printed tables and verdicts are read
    assert numbers == _printed_numbers(second)


def test_two_blas_threads_give_the_same_verdict_values_within_rounding(runs):
    one, two = runs["first"], runs["two_threads"]
    assert _threads(two) == {2}, "the kernel did not run two BLAS threads"
    pairs = list(zip(_verdict_values(one), _verdict_values(two), strict=True))
    for a, b in pairs:
        assert {k: v for k, v in a.items() if not isinstance(v, float)} == {
            k: v for k, v in b.items() if not isinstance(v, float)
        }
        for key in ("predicted", "observed", "tolerance", "detectable"):
            if a[key] is not None:
                assert math.isclose(a[key], b[key], rel_tol=THREADS_RTOL, abs_tol=THREADS_RTOL), (key, a, b)
