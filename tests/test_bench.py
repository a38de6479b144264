"""The benchmark runner's table logic (``bench/run_all.py``) on synthetic rows; no timings."""

import importlib.util
import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


run_all = _load("run_all")


def test_ratio_is_peer_over_ours_and_none_when_undefined():
    assert run_all.ratio(6.0, 2.0) == 3.0
    assert run_all.ratio(1.0, 4.0) == 0.25
    for peer, ours in [(None, 1.0), (1.0, None), (1.0, 0.0), (math.nan, 1.0), (1.0, math.inf)]:
        assert run_all.ratio(peer, ours) is None


def test_medians_of_alternating_pairs():
    pairs = [(1.0, 10.0), (3.0, 30.0), (2.0, 50.0), (100.0, 20.0)]
    assert run_all.medians(pairs) == (2.5, 25.0)
    assert run_all.medians([(0.5, 7.0)]) == (0.5, 7.0)


def test_number_formats():
    assert run_all.fmt_seconds(1.0) == "1.000"
    assert run_all.fmt_seconds(0.0123456) == "0.012"
    assert run_all.fmt_seconds(1.5e-3) == "1.50e-03"
    assert run_all.fmt_seconds(-1.5e-3) == "-1.50e-03"
    assert run_all.fmt_seconds(123.45) == "123.5"
    assert run_all.fmt_seconds(None) == run_all.fmt_seconds(math.nan) == "—"
    assert run_all.fmt_ratio(2.0 / 3.0) == "0.67x"
    assert run_all.fmt_ratio(153.4) == "153x"
    assert run_all.fmt_ratio(None) == "—"


def _rows():
    Row = run_all.Row
    return [
        Row("top-k", "N=4000, k=8", 2.0, "numpy", 6.0, "10 / 20", budget=">= 2x", passed=True),
        Row("top-k", "N=4000, k=32", 4.0, "numpy", 6.0, "12 / 20", budget=">= 2x", passed=False),
        Row("book rebuild", "profile ci", 12.5, memory_mib="300", budget="<= 60 s", passed=True),
        Row("odd | name", "n", math.nan, "peer", None, note="not installed"),
    ]


def test_table_has_one_line_per_row_with_ratio_and_verdict():
    lines = run_all.render_table(_rows()).splitlines()
    assert len(lines) == 2 + 4
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    assert all(len(c) == len(cells[0]) == 9 for c in cells)
    assert cells[2][:4] == ["top-k", "N=4000, k=8", "2.000", "numpy"]
    assert cells[2][4:8] == ["6.000", "3.00x", "10 / 20", "PASS (>= 2x)"]
    assert cells[3][5] == "1.50x" and cells[3][7] == "MISS (>= 2x)"
    assert cells[4][3:6] == ["—", "—", "—"] and cells[4][7] == "PASS (<= 60 s)"
    assert cells[5][0] == "odd / name" and cells[5][2] == "—" and cells[5][7] == ""


def test_results_file_header_and_budget_summary():
    header = {"date": "2026-01-01 00:00 UTC", "machine": "2 cores, test CPU"}
    text = run_all.render_results(header, _rows(), ["a note"])
    assert text.startswith("# Benchmark results\n")
    assert "* **machine**: 2 cores, test CPU" in text
    assert "Budgets: 2 of 3 PASS; MISS: top-k (N=4000, k=32)." in text
    assert text.rstrip().endswith("* a note")
    all_pass = [r for r in _rows() if r.passed]
    assert "Budgets: 2 of 2 PASS.\n" in run_all.render_results(header, all_pass, [])


@pytest.mark.parametrize("case", ["rmtlib", "dense", "skrmt", "skrmt-sturm"])
def test_tridiagonal_worker_setup_defines_call(case):
    sys.path.insert(0, str(BENCH))
    try:
        code = run_all._tridiag_setup(case, 50, 10)
    finally:
        sys.path.remove(str(BENCH))
    compile(code, case, "exec")
    assert "N, BINS = 50, 10" in code and "def call():" in code and "return counts" in code


class _FakeWorker:
    """Stands in for a worker process: each call 'takes' the next of its times."""

    def __init__(self, name, times, calls):
        self.name, self.times, self.calls = name, iter(times), calls

    def time(self):
        self.calls.append(self.name)
        return next(self.times)

    def summary(self):
        return self.name

    def memory(self):
        return {"peak_mib": 3.0 if self.name == "ours" else 40.0, "children_mib": 0.0}


def test_compare_alternates_and_stops_at_repeats():
    calls = []
    ours = _FakeWorker("ours", [9.0, 1.0, 2.0, 3.0, 99.0], calls)
    peer = _FakeWorker("peer", [9.0, 10.0, 30.0, 20.0, 99.0], calls)
    c = run_all.compare(ours, peer, repeats=3, budget_s=1e9, warmup=True)
    assert calls == ["ours", "peer"] * 4
    assert c.warmup == (9.0, 9.0) and c.pairs == [(1.0, 10.0), (2.0, 30.0), (3.0, 20.0)]
    assert (c.ours_s, c.peer_s) == (2.0, 20.0)
    assert (c.ours_summary, c.peer_summary, c.memory()) == ("ours", "peer", "3 / 40")


def test_compare_runs_one_pair_even_without_time_left():
    calls = []
    c = run_all.compare(_FakeWorker("ours", [1.0] * 5, calls), _FakeWorker("peer", [2.0] * 5, calls),
                        repeats=5, budget_s=0.0)
    assert calls == ["ours", "peer"] and c.pairs == [(1.0, 2.0)]


def test_merge_keeps_groups_not_rerun_in_group_order_and_says_so():
    old = {"topk": {"run": "day 1 (full)", "rows": ["old topk"]},
           "book": {"run": "day 1 (full)", "rows": ["old book"]}}
    new = {"book": {"run": "day 2 (full)", "rows": ["new book"]},
           "sweep": {"run": "day 2 (full)", "rows": ["new sweep"]}}
    merged, kept = run_all.merge_groups(old, new)
    assert list(merged) == ["topk", "sweep", "book"]
    assert [g["rows"] for g in merged.values()] == [["old topk"], ["new sweep"], ["new book"]]
    assert kept == ["Rows of `topk` are kept from the run of day 1 (full)."]
    assert run_all.merge_groups({}, new) == ({"sweep": new["sweep"], "book": new["book"]}, [])


def test_main_writes_table_and_rows_and_keeps_other_groups(tmp_path, monkeypatch):
    Row = run_all.Row
    monkeypatch.setattr(run_all, "machine_header", lambda started, load, quick: {"machine": "test"})
    monkeypatch.setattr(run_all, "bench_topk", lambda *a: [Row("top-k", "N=8", 1.0, "numpy", 4.0)])
    monkeypatch.setattr(run_all, "bench_sweep", lambda *a: [Row("sweep", "2 tasks", 2.0, "1 worker", 3.0)])
    output = tmp_path / "RESULTS.md"
    assert run_all.main(["--only", "topk", "--output", str(output)]) == 0
    assert "| top-k | N=8 | 1.000 | numpy | 4.000 | 4.00x |" in output.read_text()

    def broken(*args):
        raise ValueError("no peer")

    monkeypatch.setattr(run_all, "bench_topk", broken)
    run_all.main(["--only", "sweep", "topk", "--output", str(output), "--keep"])
    text = output.read_text()
    assert "| sweep | 2 tasks | 2.000 | 1 worker | 3.000 | 1.50x |" in text
    assert "failed: ValueError: no peer" in text and "N=8" not in text  # rerun groups replace old rows
    run_all.main(["--only", "sweep", "--output", str(output)])
    assert "top-k" not in output.read_text()  # without --keep only this run's groups
