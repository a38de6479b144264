"""The SQLite store of a sweep: one row per finished task, one per invocation.

Read by :mod:`rmtlib.sweep_results`.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
from pathlib import Path

from ...sweep_results import SCHEMA_VERSION, StoreFormatError, check_store, config_digest
from ..files import Busy, exclusive
from .config import SweepConfig, SweepConfigError, Task
from .seeds import canonical_json
from .worker import utc_now

__all__ = ["Store", "StoreError"]

_TASK_COLUMNS = {
    "id": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "task_key": "TEXT NOT NULL UNIQUE",
    "sweep": "TEXT NOT NULL",
    "target": "TEXT NOT NULL",
    "params": "TEXT NOT NULL",
    "seed": "INTEGER NOT NULL",
    "replicate": "INTEGER NOT NULL",
    "status": "TEXT NOT NULL CHECK (status IN ('done', 'failed'))",
    "metrics": "TEXT",
    "error": "TEXT",
    "traceback": "TEXT",
    "wall_s": "REAL",
    "cpu_s": "REAL",
    "rmtlib_version": "TEXT",
    "host": "TEXT",
    "started_at": "TEXT",
    "finished_at": "TEXT",
    "run_id": "INTEGER",
}
_RUN_COLUMNS = {
    "id": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "sweep": "TEXT NOT NULL",
    "config": "TEXT NOT NULL",
    "executor": "TEXT NOT NULL",
    "rmtlib_version": "TEXT",
    "host": "TEXT",
    "started_at": "TEXT",
    "finished_at": "TEXT",
    "done": "INTEGER",
    "skipped": "INTEGER",
    "failed": "INTEGER",
}


class StoreError(RuntimeError):
    """Writing to the store failed mid-sweep (disk full, read-only, removed); the message is one line.

    Every row recorded before the failure is intact (each is its own transaction).
    """


class Store:
    """The SQLite file: one row per task (``tasks``), one per invocation (``runs``).

    One sweep at a time writes into a store: it holds a lock on ``<store>.lock`` from
    opening to :meth:`close` (released by the system if the process dies).
    """

    def __init__(self, path: Path):
        self.path = path
        self._held = contextlib.ExitStack()
        busy = f"another sweep is writing into the store {path}: wait for it to end or give another --store"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._held.enter_context(exclusive(f"{path}.lock", busy))
            self.connection = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        except Busy as exc:
            raise SweepConfigError(str(exc)) from None
        except (OSError, sqlite3.Error) as exc:
            self._held.close()
            raise SweepConfigError(f"cannot create the store {path} ({exc})") from None
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        path = self.path
        try:
            tables = {row[0] for row in self.connection.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise SweepConfigError(f"store {path} is not an SQLite database ({exc})") from None
        if "tasks" in tables:
            columns = {row[1] for row in self.connection.execute("PRAGMA table_info(tasks)")}
            if not set(_TASK_COLUMNS) <= columns:
                raise SweepConfigError(f"store {path} has a tasks table that is not an rmtlib sweep store")
        elif tables - {"sqlite_sequence", "runs", "meta", "members"}:
            raise SweepConfigError(f"store {path} is an SQLite database of something else: refusing to write")
        try:
            check_store(self.connection, path)
        except StoreFormatError as exc:
            raise SweepConfigError(str(exc)) from None
        # Write-ahead log: readers (load_results) never block the writer, and a commit
        # survives a killed process; keep the store on a local disk.
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        with self.connection:
            self.connection.execute("BEGIN")
            for table, columns in (("tasks", _TASK_COLUMNS), ("runs", _RUN_COLUMNS)):
                body = ", ".join(f"{name} {kind}" for name, kind in columns.items())
                self.connection.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
            self.connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            # the tasks a sweep found finished by a sweep of another name: load_results(sweep=...) finds them
            self.connection.execute(
                "CREATE TABLE IF NOT EXISTS members (sweep TEXT NOT NULL, task_key TEXT NOT NULL, "
                "PRIMARY KEY (sweep, task_key))"
            )
            self.connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self.connection.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    def bind(self, config: SweepConfig) -> None:
        """Tie the sweep name to this configuration in the store; refuse another configuration.

        A store keeps one configuration per sweep name (a hash in ``meta``; a store
        written before this binding takes the configuration of its latest run).
        """
        key, digest = f"config:{config.name}", config_digest(config.as_json())
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            last = self.connection.execute(
                "SELECT config FROM runs WHERE sweep = ? ORDER BY id DESC LIMIT 1", (config.name,)
            ).fetchone()
            row = (config_digest(last[0]) if last else digest,)
            self.connection.execute("INSERT INTO meta VALUES (?, ?)", (key, row[0]))
        if row[0] != digest:
            raise SweepConfigError(
                f"store {self.path} holds sweep {config.name!r} run with another configuration: "
                "give this sweep another name, or another --store"
            )

    def finished(self, config: SweepConfig, keys: list[str]) -> set[str]:
        """Return which of ``keys`` are finished, and note them as tasks of ``config``'s sweep too."""
        marks = ",".join("?" * len(keys))
        query = f"SELECT task_key, sweep FROM tasks WHERE status = 'done' AND task_key IN ({marks})"
        rows = self._write(lambda: self.connection.execute(query, keys).fetchall())
        shared = [(config.name, key) for key, sweep in rows if sweep != config.name]
        if shared:
            self._write(
                lambda: self.connection.executemany("INSERT OR IGNORE INTO members VALUES (?, ?)", shared)
            )
        return {key for key, _ in rows}

    def _write(self, action):
        """Run ``action``; a failure of the database (disk full...) becomes one :class:`StoreError`."""
        try:
            return action()
        except sqlite3.Error as exc:
            raise StoreError(
                f"the sweep store {self.path} could not be written ({exc}); the rows "
                "recorded so far are intact: free space or give another --store, then run "
                "the same command again"
            ) from None

    def start_run(self, config: SweepConfig, executor: str) -> int:
        import rmtlib

        cursor = self._write(
            lambda: self.connection.execute(
                "INSERT INTO runs (sweep, config, executor, rmtlib_version, host, started_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    config.name,
                    config.as_json(),
                    executor,
                    rmtlib.__version__,
                    socket.gethostname(),
                    utc_now(),
                ),
            )
        )
        return cursor.lastrowid

    def finish_run(self, run_id: int, executor: str, done: int, skipped: int, failed: int) -> None:
        self._write(
            lambda: self.connection.execute(
                "UPDATE runs SET finished_at = ?, done = ?, skipped = ?, failed = ?, executor = ? "
                "WHERE id = ?",
                (utc_now(), done, skipped, failed, executor, run_id),
            )
        )

    def record(self, config: SweepConfig, task: Task, row: dict, run_id: int) -> None:
        """Insert one finished task (one statement, one transaction); a failed row may be replaced."""
        values = {
            **row,
            "sweep": config.name,
            "target": config.target,
            "params": canonical_json(task.params),
            "seed": config.seed,
            "replicate": task.replicate,
            "metrics": None if row["metrics"] is None else json.dumps(row["metrics"], sort_keys=True),
            "run_id": run_id,
        }
        names = [c for c in _TASK_COLUMNS if c != "id"]
        updates = ", ".join(f"{c} = excluded.{c}" for c in names if c != "task_key")
        self._write(
            lambda: self.connection.execute(
                f"INSERT INTO tasks ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
                f"ON CONFLICT(task_key) DO UPDATE SET {updates} WHERE tasks.status != 'done'",
                [values[c] for c in names],
            )
        )

    def close(self) -> None:
        self.connection.close()
        self._held.close()
