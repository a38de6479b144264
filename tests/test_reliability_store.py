"""Regression tests of sweeps and their stores (second reliability review, items 2, 5, 6, 7, 8
and 13), and of the interrupted sweep's exception. Each test names its item."""

from __future__ import annotations

import shutil
import signal
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from reliability import cli, finish, start

from rmtlib.pipeline.cli import main
from rmtlib.pipeline.sweep import executors
from rmtlib.pipeline.sweep.store import Store
from rmtlib.sweep import (
    MAX_TASKS,
    StoreFormatError,
    SweepConfigError,
    SweepInterrupted,
    load_config,
    load_results,
    run_sweep,
)

DRAW = "rmtlib.experiments.sweep_examples:timed_draw"


def _draw(name: str = "slow_a", values=(1, 2), replicates: int = 2) -> dict:
    return {
        "name": name,
        "experiment": DRAW,
        "seed": 4,
        "replicates": replicates,
        "fixed": {"delay": 0.0},
        "grid": {"value": list(values)},
    }


@pytest.fixture(scope="module")
def made_store(tmp_path_factory) -> Path:
    """A store of 4 finished tasks, made once; tests edit copies of it."""
    store = tmp_path_factory.mktemp("store") / "made.sqlite"
    summary = run_sweep(_draw(), store=store, workers=1, progress=False)
    assert summary.done == 4
    return store


def _copy(made_store: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(made_store, copy)
    return copy


# --------------------------------------------------------------------------- item 2


def test_item2_tasks_are_made_lazily_and_counted_without_a_list():
    config = load_config(_draw(values=range(1000), replicates=1000))
    assert config.task_count == 10**6
    t0 = time.perf_counter()
    first = next(iter(config.tasks()))
    assert time.perf_counter() - t0 < 0.5 and first.params == {"delay": 0.0, "value": 0.0}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"replicates": 10**9}, "replicates must be <= 10000000"),
        ({"replicates": 20_000, "grid": {"value": list(range(1000))}}, "more than one sweep may hold"),
    ],
)
def test_item2_an_absurd_configuration_is_refused_at_once(change, message):
    t0 = time.perf_counter()
    with pytest.raises(SweepConfigError, match=message):
        load_config({**_draw(), **change})
    assert time.perf_counter() - t0 < 2 and MAX_TASKS == 10**7


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def test_item2_a_million_task_grid_records_its_first_row_within_seconds(tmp_path):
    config = tmp_path / "million.yml"
    values = ", ".join(str(v) for v in range(1000))
    config.write_text(
        f"name: million\nexperiment: {DRAW}\nseed: 1\nreplicates: 1000\n"
        f"fixed: {{delay: 0.0}}\ngrid: {{value: [{values}]}}\nstore: million.sqlite\n"
    )
    process = start(tmp_path, "sweep", str(config), "--workers", "2", "--no-progress")
    t0, first, peak = time.monotonic(), None, 0.0
    try:
        while time.monotonic() - t0 < 60 and process.poll() is None:
            peak = max(peak, _rss_mb(process.pid))
            if first is None and (tmp_path / "million.sqlite").is_file():
                with sqlite3.connect(tmp_path / "million.sqlite", timeout=5) as connection:
                    try:
                        if connection.execute("SELECT count(*) FROM tasks").fetchone()[0]:
                            first = time.monotonic() - t0
                    except sqlite3.OperationalError:  # the tables are being made
                        pass
            if first is not None and time.monotonic() - t0 > first + 3:
                break
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        result = finish(process, timeout=60)
    assert first is not None and first < 20, f"no row within {time.monotonic() - t0:.0f} s"
    assert peak < 400, f"the coordinating process reached {peak:.0f} MB"
    assert result.returncode == 128 + signal.SIGINT, result.stderr[-2000:]
    assert "task(s) that finished are in the store" in result.stderr
    print(f"10^6-task grid: first row after {first:.1f} s, peak RSS of the coordinator {peak:.0f} MB")


@pytest.mark.parametrize(("executor", "window"), [({"workers": 1}, 2), ({"local_cluster": 1}, 8)])
def test_item2_both_executors_submit_a_bounded_number_of_tasks(tmp_path, monkeypatch, executor, window):
    made, made_at_each_row = [], []
    pending, record = executors._pending, Store.record

    def counted(config, db, on_skip):
        for spec in pending(config, db, on_skip):
            made.append(spec["key"])
            yield spec

    def noted(self, *arguments):
        made_at_each_row.append(len(made))
        record(self, *arguments)

    monkeypatch.setattr(executors, "_pending", counted)
    monkeypatch.setattr(Store, "record", noted)
    summary = run_sweep(
        _draw(values=range(40), replicates=1), store=tmp_path / "b.sqlite", progress=False, **executor
    )
    assert summary.done == 40 and len(made) == 40
    # when the k-th row is recorded, at most `window` tasks beyond the k - 1 recorded ones were made
    assert all(count <= window + k for k, count in enumerate(made_at_each_row)), made_at_each_row


def test_item2_resume_skips_finished_keys_in_batches(made_store, tmp_path):
    store = _copy(made_store, tmp_path)
    summary = run_sweep(_draw(name="slow_a3", values=(1, 2, 3)), store=store, workers=1, progress=False)
    assert (summary.total, summary.skipped, summary.done) == (6, 4, 2)


# --------------------------------------------------------------------------- item 5


@pytest.fixture
def ssh_like_server():
    """A server that speaks first, as SSH does, but not Dask."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
            time.sleep(0.5)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    listener.close()


def test_item5_a_server_that_speaks_first_but_not_dask_is_refused(tmp_path, ssh_like_server):
    t0 = time.monotonic()
    with pytest.raises(SweepConfigError, match="is not a Dask scheduler"):
        run_sweep(_draw(), store=tmp_path / "s.sqlite", scheduler=ssh_like_server, connect_timeout=3)
    assert time.monotonic() - t0 < 5
    assert not (tmp_path / "s.sqlite").exists()


def test_item5_an_unsupported_protocol_is_one_line(tmp_path, capsys):
    config = tmp_path / "s.yml"
    config.write_text(f"experiment: {DRAW}\nseed: 1\ngrid: {{delay: [0.0]}}\n")
    code = main(["sweep", str(config), "--scheduler", "ucx://127.0.0.1:8786", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "over tcp:// or tls:// (not ucx://)" in err, err


# --------------------------------------------------------------------------- item 6


def test_item6_a_full_disk_is_one_line_naming_the_store_and_exit_3(tmp_path, capsys, monkeypatch):
    bind = Store.bind

    def bind_then_fill(self, config):
        bind(self, config)
        self.connection.execute("PRAGMA journal_mode=DELETE")  # pages go to the file, not to the log
        pages = self.connection.execute("PRAGMA page_count").fetchone()[0]
        self.connection.execute(f"PRAGMA max_page_count = {pages}")  # no room for one more page

    monkeypatch.setattr(Store, "bind", bind_then_fill)
    config = tmp_path / "full.yml"
    values = ", ".join(map(str, range(400)))  # more rows than the free room of the store's pages
    config.write_text(f"experiment: {DRAW}\nseed: 1\nfixed: {{delay: 0.0}}\ngrid: {{value: [{values}]}}\n")
    store = tmp_path / "full.sqlite"
    code = main(["sweep", str(config), "--store", str(store), "--workers", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"the sweep store {store} could not be written (database or disk is full)" in err
    recorded = load_results(store, status=None)  # consistent, and still readable
    assert 0 < len(recorded) < 400 and set(recorded["status"]) == {"done"}


# --------------------------------------------------------------------------- item 7


def _edit(store: Path, *statements: str) -> Path:
    with sqlite3.connect(store) as connection:
        for statement in statements:
            connection.execute(statement)
    connection.close()
    return store


@pytest.mark.parametrize(
    ("statements", "message"),
    [
        (["PRAGMA user_version = 7"], "has schema version 7"),
        (["UPDATE meta SET value = '99' WHERE key = 'schema_version'"], "has schema version '99'"),
        (["UPDATE meta SET value = 'edited' WHERE key = 'config:slow_a'"], "the store was edited"),
        (["DROP TABLE meta"], "lacks its meta table"),
        (["UPDATE tasks SET params = '{broken' WHERE id = 2"], r"row 2 has corrupt params \('\{broken'\)"),
        (["UPDATE tasks SET metrics = '[1,2]' WHERE id = 3"], r"row 3 has corrupt metrics \('\[1,2\]'\)"),
    ],
)
def test_item7_load_results_refuses_what_it_does_not_understand(made_store, tmp_path, statements, message):
    store = _edit(_copy(made_store, tmp_path), *statements)
    with pytest.raises(StoreFormatError, match=message):
        load_results(store)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE meta SET value = '99' WHERE key = 'schema_version'", "PRAGMA user_version = 99"],
)
def test_item7_run_sweep_never_writes_into_a_store_of_another_schema(made_store, tmp_path, statement):
    store = _edit(_copy(made_store, tmp_path), statement)
    before = store.read_bytes()
    with pytest.raises(SweepConfigError, match="schema version"):
        run_sweep(_draw(values=(7,)), store=store, workers=1, progress=False)
    assert store.read_bytes() == before


def test_item7_a_new_store_carries_its_schema_version(made_store):
    with sqlite3.connect(made_store) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (1,)
        assert connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
    connection.close()


# --------------------------------------------------------------------------- item 8


def test_item8_a_sweep_finds_its_rows_whoever_computed_them(made_store, tmp_path):
    store = _copy(made_store, tmp_path)
    again = run_sweep(_draw(name="slow_b"), store=store, workers=1, progress=False)
    assert (again.done, again.skipped) == (0, 4)
    rows_a, rows_b = load_results(store, sweep="slow_a"), load_results(store, sweep="slow_b")
    assert len(rows_b) == 4 and sorted(rows_b["task_key"]) == sorted(rows_a["task_key"])
    third = run_sweep(_draw(name="third", values=(2, 3)), store=store, workers=1, progress=False)
    assert (third.done, third.skipped) == (2, 2)
    rows = load_results(store, sweep="third")
    assert sorted(rows["value"]) == [2.0, 2.0, 3.0, 3.0]
    assert set(rows["sweep"]) == {"slow_a", "third"}  # who computed each row
    assert len(load_results(store)) == 6  # nothing counted twice


# --------------------------------------------------------------------------- item 13


def test_item13_more_workers_than_cores_warns(tmp_path, monkeypatch):
    monkeypatch.setattr(executors, "_usable_cores", lambda: 1)
    monkeypatch.setattr(executors, "Store", _no_store)  # the warning comes before the store opens
    with pytest.warns(UserWarning, match="local_cluster=2 starts more workers than the 1 usable core"):
        with pytest.raises(_Stop):
            run_sweep(_draw(), store=tmp_path / "s.sqlite", local_cluster=2, progress=False)


class _Stop(Exception):
    pass


def _no_store(path):
    raise _Stop


def test_item13_a_local_cluster_shuts_down_quietly(tmp_path):
    config = tmp_path / "c.yml"
    config.write_text(f"experiment: {DRAW}\nseed: 1\nfixed: {{delay: 0.0}}\ngrid: {{value: [1, 2, 3]}}\n")
    result = cli(tmp_path, "sweep", str(config), "--local-cluster", "3", "--no-progress", timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "CommClosedError" not in result.stderr, result.stderr[-3000:]


def test_item13_the_command_line_warns_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(executors, "_usable_cores", lambda: 1)
    monkeypatch.setattr(executors, "Store", _no_store)
    config = tmp_path / "c.yml"
    config.write_text(f"experiment: {DRAW}\nseed: 1\ngrid: {{delay: [0.0]}}\n")
    with pytest.raises(_Stop):
        main(["sweep", str(config), "--local-cluster", "2", "--no-progress"])
    err = capsys.readouterr().err
    assert (
        err.startswith("rmtlib sweep: warning: local_cluster=2 starts more workers") and err.count("\n") == 1
    )


# --------------------------------------------------------------------------- the interrupt's own type


def test_an_interrupted_sweep_raises_its_own_exception_with_what_it_recorded(tmp_path, monkeypatch):
    def one_then_interrupt(specs, workers, on_result):
        spec = next(specs)
        on_result(spec, executors.execute(spec))
        raise KeyboardInterrupt

    monkeypatch.setattr(executors, "_run_local", one_then_interrupt)
    store = tmp_path / "i.sqlite"
    with pytest.raises(SweepInterrupted) as info:
        run_sweep(_draw(), store=store, workers=1, progress=False)
    assert (info.value.recorded, info.value.signum) == (1, signal.SIGINT)
    assert isinstance(info.value, KeyboardInterrupt)
    assert len(load_results(store)) == 1


def test_a_sigterm_sweep_says_what_it_kept(tmp_path):
    config = tmp_path / "slow.yml"
    config.write_text(
        f"name: slow\nexperiment: {DRAW}\nseed: 1\nfixed: {{delay: 0.5}}\n"
        "grid: {value: [1, 2, 3, 4, 5, 6]}\n"
    )
    process = start(tmp_path, "sweep", str(config), "--workers", "1", "--no-progress")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _rows(tmp_path / "slow.sqlite"):
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    result = finish(process, timeout=60)
    assert result.returncode == 128 + signal.SIGTERM, result.stderr[-2000:]
    line = assert_one_line_error_free(result.stderr)
    assert "interrupted (SIGTERM)" in line and "task(s) that finished are in the store" in line


def _rows(store: Path) -> int:
    if not store.is_file():
        return 0
    try:
        with sqlite3.connect(store, timeout=5) as connection:
            return connection.execute("SELECT count(*) FROM tasks").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def assert_one_line_error_free(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr[-2000:]
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr[-2000:]
    return lines[0]
