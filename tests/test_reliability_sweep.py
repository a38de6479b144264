"""Regression tests of `python -m rmtlib sweep`: exit status, store binding and lock, duplicate
keys, a scheduler that is not one, Ctrl-C. Each test names the item of the reliability review."""

from __future__ import annotations

import http.server
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from reliability import assert_one_line_error, cli, finish, start

DRAW = "rmtlib.experiments.sweep_examples:timed_draw"
SPIKES = "rmtlib.experiments.sweep_examples:spiked_top_eigenvalue"


def _config(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _draw(tmp_path: Path, name="demo", values="[1, 2]", delay=0.0, store="demo.sqlite") -> Path:
    return _config(
        tmp_path / f"{name}-{abs(hash((values, delay)))}.yml",
        f"name: {name}\nexperiment: {DRAW}\nseed: 4\nfixed: {{delay: {delay}}}\n"
        f"grid: {{value: {values}}}\nstore: {store}\n",
    )


# --------------------------------------------------------------------------- item 14


def test_item14_a_duplicate_key_in_a_sweep_is_refused(tmp_path):
    config = _config(
        tmp_path / "dup.yml",
        f"experiment: {DRAW}\nseed: 1\ngrid:\n  delay: [0.0]\n  value: [1, 2]\n  value: [3]\n",
    )
    result = cli(tmp_path, "sweep", str(config), "--workers", "1", "--no-progress")
    assert_one_line_error(result, 2, "duplicate key", "value")
    assert not (tmp_path / "dup.sqlite").exists()


def test_item14_a_duplicate_key_in_profiles_is_refused(tmp_path):
    from reliability import TINY, make_project

    make_project(tmp_path)
    profiles = tmp_path / "notebooks" / "profiles.yml"
    profiles.write_text(profiles.read_text() + "  ci: {N: 40}\n")
    result = cli(tmp_path, "run", TINY, "--profile", "ci", "--output", "out")
    assert_one_line_error(result, 2, "duplicate key", "ci")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- item 15


@pytest.mark.parametrize("executor", [["--workers", "1"], ["--local-cluster", "1"]])
def test_item15_a_sweep_with_failed_tasks_exits_non_zero(tmp_path, executor):
    config = _config(
        tmp_path / "s.yml",
        f"experiment: {SPIKES}\nseed: 1\nfixed: {{sigma: 1.0}}\ngrid: {{N: [1, 30], theta: [3.0]}}\n",
    )
    result = cli(tmp_path, "sweep", str(config), *executor, "--no-progress")
    assert result.returncode == 1, result.stderr[-2000:]
    assert "1 done" in result.stdout and "1 failed" in result.stdout
    with sqlite3.connect(tmp_path / "s.sqlite") as connection:
        assert connection.execute("SELECT status FROM tasks ORDER BY status").fetchall() == [
            ("done",),
            ("failed",),
        ]


def test_item15_a_store_is_bound_to_its_configuration(tmp_path):
    first = cli(tmp_path, "sweep", str(_draw(tmp_path)), "--workers", "1", "--no-progress")
    assert first.returncode == 0, first.stderr
    again = cli(tmp_path, "sweep", str(_draw(tmp_path)), "--workers", "1", "--no-progress")
    assert again.returncode == 0 and "2 skipped" in again.stdout
    other = cli(tmp_path, "sweep", str(_draw(tmp_path, values="[1, 3]")), "--workers", "1", "--no-progress")
    assert_one_line_error(other, 2, "demo.sqlite", "configuration")
    with sqlite3.connect(tmp_path / "demo.sqlite") as connection:
        assert connection.execute("SELECT COUNT(*) FROM tasks").fetchone() == (2,)
    # another name in the same store is another sweep, and welcome
    renamed = cli(
        tmp_path,
        "sweep",
        str(_draw(tmp_path, name="demo2", values="[1, 3]")),
        "--workers",
        "1",
        "--no-progress",
    )
    assert renamed.returncode == 0, renamed.stderr


def test_item15_two_sweeps_on_one_store_at_once_the_second_is_refused(tmp_path):
    slow = _draw(tmp_path, values="[1, 2]", delay=3.0)
    first = start(tmp_path, "sweep", str(slow), "--workers", "1", "--no-progress")
    store = tmp_path / "demo.sqlite"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait for the first sweep to start its run in the store
        if store.exists():
            try:
                with sqlite3.connect(store) as connection:
                    if connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0]:
                        break
            except sqlite3.Error:
                pass
        time.sleep(0.2)
    second = cli(tmp_path, "sweep", str(slow), "--workers", "1", "--no-progress", timeout=60)
    first = finish(first)
    assert first.returncode == 0 and "2 done" in first.stdout, first.stderr[-2000:]
    assert_one_line_error(second, 2, "demo.sqlite", "another sweep")


# --------------------------------------------------------------------------- item 16


@pytest.fixture
def not_a_scheduler():
    """A plain HTTP server: it accepts the connection and waits for a request line, never speaking Dask."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _on_scheduler(tmp_path: Path, address: str, seconds: str) -> tuple[str, ...]:
    config = str(_draw(tmp_path))
    return ("sweep", config, "--scheduler", address, "--connect-timeout", seconds, "--no-progress")


def test_item16_the_connect_timeout_holds(tmp_path, not_a_scheduler):
    t0 = time.monotonic()
    result = cli(tmp_path, *_on_scheduler(tmp_path, not_a_scheduler, "3"), timeout=45)
    assert result.returncode is not None, "the sweep hung past 45 s with --connect-timeout 3"
    assert time.monotonic() - t0 < 30
    assert_one_line_error(result, 2, not_a_scheduler)
    assert not (tmp_path / "demo.sqlite").exists()


def test_item16_ctrl_c_before_any_task_says_so(tmp_path, not_a_scheduler):
    process = start(tmp_path, *_on_scheduler(tmp_path, not_a_scheduler, "60"))
    time.sleep(6)
    process.send_signal(signal.SIGINT)
    result = finish(process, timeout=30)
    assert result.returncode == 128 + signal.SIGINT, result.stderr[-2000:]
    assert "interrupted" in result.stderr
    assert "finished tasks are in the store" not in result.stderr
    assert "no task" in result.stderr
