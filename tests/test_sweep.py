"""Tests of rmtlib.pipeline.sweep: configuration checks, seeds, the SQLite store, resume after a
real kill, local processes against a real Dask LocalCluster, notebooks through papermill."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import psutil
import pytest
import yaml

from rmtlib.experiments.sweep_examples import spiked_top_eigenvalue, timed_draw
from rmtlib.pipeline.cli import main
from rmtlib.pipeline.sweep import (
    SweepConfigError,
    load_config,
    load_results,
    run_sweep,
    task_rng,
)

SPIKES = "rmtlib.experiments.sweep_examples:spiked_top_eigenvalue"
DRAW = "rmtlib.experiments.sweep_examples:timed_draw"
REPO = Path(__file__).resolve().parents[1]

# Eight tasks: two sizes (N = 1 is refused, so those four tasks fail) x two spikes x two replicates.
SPIKE_CONFIG = {
    "name": "spikes",
    "experiment": SPIKES,
    "seed": 11,
    "replicates": 2,
    "fixed": {"sigma": 1.0},
    "grid": {"N": [1, 60], "theta": [0.5, 3]},
}


def _table(store: Path) -> pd.DataFrame:
    """The executor-independent part of a store: one row per task, sorted by key."""
    df = load_results(store, status=None)
    keep = [
        "task_key",
        "N",
        "theta",
        "sigma",
        "replicate",
        "status",
        "error",
        "top",
        "predicted",
        "deviation",
    ]
    return df.loc[:, keep].sort_values("task_key").reset_index(drop=True)


def _rows(store: Path) -> list[tuple]:
    with sqlite3.connect(store) as connection:
        return connection.execute(
            "SELECT id, task_key, status, finished_at, run_id, params, metrics FROM tasks ORDER BY id"
        ).fetchall()


# --------------------------------------------------------------------------- configuration and seeds


def test_grid_order_keys_and_int_to_float():
    cfg = load_config(SPIKE_CONFIG)
    tasks = list(cfg.tasks())
    assert len(tasks) == 8 and len({t.key for t in tasks}) == 8
    assert [(t.params["N"], t.params["theta"], t.replicate) for t in tasks[:3]] == [
        (1, 0.5, 0),
        (1, 0.5, 1),
        (1, 3.0, 0),
    ]
    # theta is annotated float: 3 and 3.0 are the same task (same key, same stream).
    same = load_config({**SPIKE_CONFIG, "grid": {"N": [1, 60], "theta": [0.5, 3.0]}})
    assert [t.key for t in list(same.tasks())] == [t.key for t in tasks]
    assert isinstance(tasks[2].params["theta"], float)
    # The key depends on the sweep seed and the target, the stream only on seed, params, replicate.
    other_seed = load_config({**SPIKE_CONFIG, "seed": 12})
    assert not {t.key for t in list(other_seed.tasks())} & {t.key for t in tasks}


def test_task_rng_depends_on_seed_params_and_replicate_only():
    params = {"N": 60, "theta": 3.0, "sigma": 1.0}
    draws = {
        (seed, rep): task_rng(seed, params, rep).standard_normal(4).tolist()
        for seed in (1, 2)
        for rep in (0, 1)
    }
    assert len({tuple(v) for v in draws.values()}) == 4
    reordered = {"sigma": 1.0, "theta": 3.0, "N": 60}
    assert task_rng(1, reordered, 0).standard_normal(4).tolist() == draws[(1, 0)]
    assert task_rng(1, {**params, "theta": 3.5}, 0).standard_normal(4).tolist() != draws[(1, 0)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"experiment": "no_such_experiment"}, "unknown experiment 'no_such_experiment'"),
        ({"experiment": "no_such_module:f"}, "cannot import no_such_module"),
        ({"grid": {"N": [60], "theta": [1.0], "colour": ["red"]}}, "takes no parameter 'colour'"),
        ({"grid": {"N": [], "theta": [1.0]}}, "grid.N is empty"),
        ({"grid": {"N": [60.5], "theta": [1.0]}}, "parameter 'N' must be int, got 60.5"),
        ({"grid": {"N": [60], "theta": ["big"]}}, "parameter 'theta' must be float"),
        ({"grid": {"N": 60, "theta": [1.0]}}, "grid.N must be a list"),
        ({"grid": {"N": [60, 60], "theta": [1.0]}}, "grid.N lists the same value twice"),
        ({"grid": {"theta": [1.0]}}, "required parameter(s) N missing"),
        ({"grid": {"N": [60], "theta": [1.0], "rng": [1]}}, "do not set 'rng'"),
        ({"fixed": {"sigma": 1.0, "N": 60}}, "N appear(s) in both fixed and grid"),
        ({"seed": -1}, "seed (the sweep seed) must be >= 0, got -1"),
        ({"seed": "7"}, "seed (the sweep seed) must be an integer, got '7'"),
        ({"replicates": 0}, "replicates must be >= 1, got 0"),
        ({"notebook": "x.ipynb"}, "exactly one of experiment"),
        ({"repeats": 3}, "unknown key(s) repeats"),
        ({"fixed": {"sigma": float("nan")}}, "must be finite"),
    ],
)
def test_bad_config_one_clear_message_and_nothing_written(tmp_path, change, message):
    store = tmp_path / "sub" / "never.sqlite"
    with pytest.raises(SweepConfigError) as info:
        run_sweep({**SPIKE_CONFIG, **change}, store=store, progress=False)
    assert message in str(info.value)
    assert not store.parent.exists()


def test_config_file_relative_store_and_yaml_errors(tmp_path):
    path = tmp_path / "demo.yml"
    path.write_text(yaml.safe_dump({**SPIKE_CONFIG, "store": "results/demo.sqlite"}))
    cfg = load_config(path)
    assert cfg.store == tmp_path / "results" / "demo.sqlite" and cfg.name == "spikes"
    path.write_text("grid: [unclosed")
    with pytest.raises(SweepConfigError, match="not valid YAML"):
        load_config(path)
    with pytest.raises(SweepConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yml")


def test_shipped_configs_are_valid():
    configs = sorted((REPO / "sweeps").glob("*.yml"))
    assert configs, "sweeps/ holds the example configurations"
    for path in configs:
        cfg = load_config(path)
        assert list(cfg.tasks()), path


def test_unreachable_scheduler_fails_fast_naming_the_address(tmp_path):
    with socket.socket() as s:  # a port on which nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    store = tmp_path / "never.sqlite"
    t0 = time.perf_counter()
    with pytest.raises(SweepConfigError, match=f"cannot reach the Dask scheduler at {address}"):
        run_sweep(SPIKE_CONFIG, store=store, scheduler=address, connect_timeout=2, progress=False)
    assert time.perf_counter() - t0 < 5 and not store.exists()
    with pytest.raises(SweepConfigError, match="not of the form"):
        run_sweep(SPIKE_CONFIG, store=store, scheduler="no-port-here", progress=False)


def test_cli_reports_config_errors_on_one_line(tmp_path, capsys):
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump({**SPIKE_CONFIG, "experiment": "nope"}))
    assert main(["sweep", str(path), "--store", str(tmp_path / "s.sqlite"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("rmtlib sweep: error: unknown experiment 'nope'")
    assert not (tmp_path / "s.sqlite").exists()


# --------------------------------------------------------------------------- running, failures, resume


@pytest.fixture(scope="module")
def local_two_workers(tmp_path_factory):
    store = tmp_path_factory.mktemp("local2") / "spikes.sqlite"
    summary = run_sweep(SPIKE_CONFIG, store=store, workers=2, progress=False)
    return store, summary


def test_failures_are_recorded_and_rows_match_direct_calls(local_two_workers):
    store, summary = local_two_workers
    assert (summary.total, summary.done, summary.failed, summary.skipped) == (8, 4, 4, 0)
    assert {error for _, _, error in summary.failures} == {"ValueError: N must be >= 2, got 1"}
    assert "failed 4 x ValueError: N must be >= 2, got 1" in summary.to_text()
    df = load_results(store)
    assert len(df) == 4 and set(df["N"]) == {60}
    for row in df.itertuples():
        params = {"sigma": 1.0, "N": 60, "theta": row.theta}
        expected = spiked_top_eigenvalue(**params, rng=task_rng(11, params, row.replicate))
        assert row.top == expected["top"] and row.predicted == expected["predicted"]
    # The spike theta = 3 produces an outlier near 3 + 1/3; theta = 0.5 sticks to the edge 2.
    # Fluctuations at N = 60: O(N^-1/2) for the outlier, O(N^-2/3) for the edge: 0.5 is > 3 sd.
    assert np.all(np.abs(df["deviation"]) < 0.5)
    failed = load_results(store, status="failed")
    assert len(failed) == 4 and failed["error"].str.contains("N must be >= 2").all()
    assert "top" not in failed.columns  # a failed task records its error, no metrics


def test_rerun_skips_done_rows_and_retries_failed_ones(local_two_workers, tmp_path):
    store, _ = local_two_workers
    copy = tmp_path / "copy.sqlite"
    with sqlite3.connect(store) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    before = {r[1]: r for r in _rows(copy)}
    again = run_sweep(SPIKE_CONFIG, store=copy, workers=1, progress=False)
    assert (again.done, again.skipped, again.failed) == (0, 4, 4)
    after = {r[1]: r for r in _rows(copy)}
    assert after.keys() == before.keys() and len(after) == 8
    for key, row in after.items():
        if row[2] == "done":
            assert row == before[key]  # same id, timestamp, run: not recomputed
        else:
            assert row[0] == before[key][0] and row[4] == before[key][4] + 1  # retried in place


def test_one_and_two_workers_give_identical_metrics(local_two_workers, tmp_path):
    store, _ = local_two_workers
    one = tmp_path / "one.sqlite"
    run_sweep(SPIKE_CONFIG, store=one, workers=1, progress=False)
    pd.testing.assert_frame_equal(_table(one), _table(store), check_exact=True)


def test_dask_local_cluster_gives_the_same_table(local_two_workers, tmp_path):
    from distributed import LocalCluster

    store, _ = local_two_workers
    dask_store = tmp_path / "dask.sqlite"
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        summary = run_sweep(
            SPIKE_CONFIG, store=dask_store, scheduler=cluster.scheduler_address, progress=False
        )
    assert summary.executor.startswith("Dask scheduler tcp://127.0.0.1:")
    assert (summary.done, summary.failed) == (4, 4)
    pd.testing.assert_frame_equal(_table(dask_store), _table(store), check_exact=True)


# --------------------------------------------------------------------------- a real kill mid-run

DRAW_CONFIG = {
    "name": "draws",
    "experiment": DRAW,
    "seed": 5,
    "fixed": {"delay": 0.25},
    "grid": {"value": list(range(20))},
}


def _start_cli(tmp_path: Path, store: Path) -> subprocess.Popen:
    config = tmp_path / "draws.yml"
    config.write_text(yaml.safe_dump(DRAW_CONFIG))
    command = [sys.executable, "-m", "rmtlib", "sweep", str(config), "--workers", "2", "--store", str(store)]
    return subprocess.Popen(
        [*command, "--no-progress"],
        cwd=tmp_path,
        start_new_session=True,  # its own process group: the kill reaches the workers too
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_rows(store: Path, at_least: int, proc: subprocess.Popen, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if store.exists():
            try:
                with sqlite3.connect(store, timeout=5) as connection:
                    n = connection.execute("SELECT count(*) FROM tasks").fetchone()[0]
            except sqlite3.OperationalError:  # tables not created yet
                n = 0
            if n >= at_least:
                return n
        time.sleep(0.02)
    raise AssertionError(f"fewer than {at_least} rows after {timeout} s")


def test_sigterm_then_sigkill_mid_run_then_resume(tmp_path):
    store = tmp_path / "draws.sqlite"
    # 1. SIGTERM to the coordinator alone: it exits promptly, its workers follow.
    proc = _start_cli(tmp_path, store)
    _wait_for_rows(store, 3, proc)
    workers = psutil.Process(proc.pid).children(recursive=True)
    assert len(workers) >= 2
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 128 + signal.SIGTERM
    _, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, "worker processes outlived the sweep"
    first = _rows(store)
    assert 3 <= len(first) < 20
    # 2. SIGKILL to the whole process group: no chance to clean up.
    proc = _start_cli(tmp_path, store)
    _wait_for_rows(store, len(first) + 3, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=15)
    second = _rows(store)
    assert len(first) + 3 <= len(second) < 20
    with sqlite3.connect(store) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        runs = connection.execute("SELECT id, finished_at FROM runs ORDER BY id").fetchall()
    assert len(runs) == 2 and runs[1][1] is None  # the killed run never finished
    # 3. Resume: only the missing tasks run; finished rows are untouched.
    summary = run_sweep(DRAW_CONFIG, store=store, workers=2, progress=False)
    assert (summary.skipped, summary.done, summary.failed) == (len(second), 20 - len(second), 0)
    final = _rows(store)
    assert len(final) == 20 and len({r[1] for r in final}) == 20
    assert final[: len(second)] == second
    assert {r[4] for r in final[len(second) :]} == {3}
    for row in final:  # every row is what a direct call with the task's generator gives
        params = json.loads(row[5])
        direct = timed_draw(delay=0.0, value=params["value"], rng=task_rng(5, params, 0))
        assert json.loads(row[6]) == direct


# --------------------------------------------------------------------------- notebooks through papermill


def _write_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("N = 10\nscale = 1.0\nseed = 0", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import numpy as np\nfrom rmtlib.verdict import check, verdict_table\n"
            "x = np.random.default_rng(seed).standard_normal(N)\n"
            "verdict_table([check('T0', 'mean', predicted=0.0, observed=float(x.mean()),\n"
            "                     tolerance=scale * 5 / N**0.5, N=N)])"
        ),
    ]
    nbformat.write(nb, path)


def test_notebook_sweep_records_verdicts_and_failures(tmp_path):
    _write_notebook(tmp_path / "chapter.ipynb")
    config = {"notebook": "chapter.ipynb", "seed": 3, "grid": {"N": [50], "scale": [1.0, 1e-9]}}
    (tmp_path / "nb.yml").write_text(yaml.safe_dump(config))
    with pytest.raises(SweepConfigError, match="takes no parameter 'M'"):
        load_config({**config, "grid": {"M": [1]}, "notebook": str(tmp_path / "chapter.ipynb")})
    with pytest.raises(SweepConfigError, match="do not set 'seed'"):
        load_config({**config, "fixed": {"seed": 1}, "notebook": str(tmp_path / "chapter.ipynb")})
    summary = run_sweep(tmp_path / "nb.yml", store=tmp_path / "nb.sqlite", workers=2, progress=False)
    assert (summary.done, summary.failed) == (1, 1)
    df = load_results(tmp_path / "nb.sqlite", status=None).set_index("scale")
    for scale in (1.0, 1e-9):
        row = df.loc[scale]
        x = np.random.default_rng(int(row["notebook_seed"])).standard_normal(50)
        assert row["T0 mean: observed"] == pytest.approx(float(x.mean()), rel=1e-12)
        assert row["T0 mean: tolerance"] == pytest.approx(scale * 5 / 50**0.5)
    assert df.loc[1.0, "status"] == "done" and df.loc[1.0, "T0 mean: passed"] == 1.0
    assert df.loc[1e-9, "status"] == "failed" and df.loc[1e-9, "error"].startswith("VerdictError")
    assert df.loc[1e-9, "T0 mean: passed"] == 0.0
    assert df.loc[1.0, "notebook_seed"] != df.loc[1e-9, "notebook_seed"]


def test_notebook_sweeps_are_checked_like_run_before_any_kernel_starts(tmp_path, monkeypatch):
    """A grid value that `run -p` refuses is refused by the sweep before a store or a kernel exists."""
    import papermill

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(papermill, "execute_notebook", no_kernel)
    store = tmp_path / "s.sqlite"
    chapter = {"notebook": str(REPO / "notebooks" / "06_rectangular.ipynb"), "seed": 1}
    for grid, refusal in [
        ({"N": [300, 1]}, "N = 1: must be >= 100"),  # the chapter's rule in profiles.yml
        ({"sigma": [1.0, -1.0]}, "sigma = -1.0: must be > 0"),  # a common rule
        ({"n_seeds": [1]}, "n_seeds = 1: must be >= 2"),
        ({"N": [2.5]}, "N = 2.5: expected int"),
    ]:
        with pytest.raises(SweepConfigError, match=refusal):
            run_sweep({**chapter, "grid": grid}, store=store, workers=1, progress=False)
        assert not store.exists()
    with pytest.raises(SweepConfigError, match="N = 1: must be >= 100"):
        load_config({**chapter, "fixed": {"N": 1}})


@pytest.mark.parametrize(
    ("chapter", "grid"),
    [
        ("02_deformed_wigner", {"toeplitz_a": [0.3, 0.7]}),  # comment: S_ij = a^|i - j|
        ("03_spikes", {"window_w": [[-1.0, 0.0, 1.0]]}),  # comment: theta = sigma (1 + w N^(-1/3))
    ],
)
def test_parameters_with_any_comment_can_be_swept(chapter, grid):
    """The sweep reads the parameters cell with the runner's parser: comments with (, ^ or | are fine."""
    config = load_config({"notebook": str(REPO / "notebooks" / f"{chapter}.ipynb"), "seed": 1, "grid": grid})
    ((name, values),) = grid.items()
    assert [task.params[name] for task in config.tasks()] == values


def test_refuses_a_store_that_is_not_a_sweep_store(tmp_path):
    garbage = tmp_path / "notes.sqlite"
    garbage.write_bytes(b"not a database " * 100)
    with pytest.raises(SweepConfigError, match="is not an SQLite database"):
        run_sweep(SPIKE_CONFIG, store=garbage, progress=False)
    assert garbage.read_bytes() == b"not a database " * 100
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE measurements (x REAL)")
    with pytest.raises(SweepConfigError, match="database of something else"):
        run_sweep(SPIKE_CONFIG, store=other, progress=False)
    with sqlite3.connect(other) as connection:  # left as it was
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert [r[0] for r in connection.execute("SELECT name FROM sqlite_master")] == ["measurements"]


@pytest.mark.parametrize("user_omp", [None, "2"])
def test_workers_follow_the_runners_blas_thread_rule_and_user_modules_work(tmp_path, monkeypatch, user_omp):
    """One BLAS thread per worker unless the user set the variable (the rule of chapter kernels)."""
    (tmp_path / "blas_probe.py").write_text(
        "import os\nimport threadpoolctl\n\n\n"
        "def blas_threads(*, rng):\n"
        "    import scipy.linalg  # loaded after the pinning: reached through the variables\n\n"
        "    info = threadpoolctl.threadpool_info()\n"
        "    blas = [i['num_threads'] for i in info if i['user_api'] == 'blas']\n"
        "    return {'blas_threads': max(blas), 'libraries': len(info),\n"
        "            'omp': float(os.environ['OMP_NUM_THREADS']),\n"
        "            'openblas': float(os.environ['OPENBLAS_NUM_THREADS'])}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))  # spawned workers inherit sys.path
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    if user_omp is not None:
        monkeypatch.setenv("OMP_NUM_THREADS", user_omp)
    config = {"experiment": "blas_probe:blas_threads", "seed": 0, "replicates": 2}
    summary = run_sweep(config, store=tmp_path / "blas.sqlite", workers=2, progress=False)
    assert (summary.done, summary.failed) == (2, 0), summary.to_text()
    df = load_results(tmp_path / "blas.sqlite")
    assert (df["blas_threads"] == 1).all() and (df["openblas"] == 1).all() and (df["libraries"] >= 2).all()
    assert (df["omp"] == float(user_omp or 1)).all()
