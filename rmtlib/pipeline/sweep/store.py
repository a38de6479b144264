"""The SQLite store of a sweep: one row per finished task, one per invocation; :func:`load_results`."""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import sqlite3
from pathlib import Path

from ..files import Busy, exclusive
from .config import SweepConfig, SweepConfigError, Task
from .seeds import canonical_json
from .worker import utc_now

__all__ = ["SCHEMA_VERSION", "Store", "load_results"]

SCHEMA_VERSION = 1
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
        elif tables - {"sqlite_sequence", "runs", "meta"}:
            raise SweepConfigError(f"store {path} is an SQLite database of something else: refusing to write")
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
            self.connection.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    def bind(self, config: SweepConfig) -> None:
        """Tie the sweep name to this configuration in the store; refuse another configuration.

        A store keeps one configuration per sweep name (a hash in ``meta``; a store
        written before this binding takes the configuration of its latest run).
        """
        key, digest = f"config:{config.name}", _digest(config.as_json())
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            last = self.connection.execute(
                "SELECT config FROM runs WHERE sweep = ? ORDER BY id DESC LIMIT 1", (config.name,)
            ).fetchone()
            row = (_digest(last[0]) if last else digest,)
            self.connection.execute("INSERT INTO meta VALUES (?, ?)", (key, row[0]))
        if row[0] != digest:
            raise SweepConfigError(
                f"store {self.path} holds sweep {config.name!r} run with another configuration: "
                "give this sweep another name, or another --store"
            )

    def finished_keys(self) -> set[str]:
        return {row[0] for row in self.connection.execute("SELECT task_key FROM tasks WHERE status = 'done'")}

    def start_run(self, config: SweepConfig, executor: str) -> int:
        import rmtlib

        cursor = self.connection.execute(
            "INSERT INTO runs (sweep, config, executor, rmtlib_version, host, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (config.name, config.as_json(), executor, rmtlib.__version__, socket.gethostname(), utc_now()),
        )
        return cursor.lastrowid

    def finish_run(self, run_id: int, done: int, skipped: int, failed: int) -> None:
        self.connection.execute(
            "UPDATE runs SET finished_at = ?, done = ?, skipped = ?, failed = ? WHERE id = ?",
            (utc_now(), done, skipped, failed, run_id),
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
        self.connection.execute(
            f"INSERT INTO tasks ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
            f"ON CONFLICT(task_key) DO UPDATE SET {updates} WHERE tasks.status != 'done'",
            [values[c] for c in names],
        )

    def close(self) -> None:
        self.connection.close()
        self._held.close()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_results(path, *, sweep: str | None = None, status: str | None = "done"):
    """Read a sweep store into a pandas DataFrame, one row per task.

    Parameters
    ----------
    path : str or os.PathLike
        The SQLite store written by :func:`run_sweep`; opened read-only.
    sweep : str, optional
        Keep only the rows of this sweep name (a store may hold several).
    status : {"done", "failed", None}, optional
        Keep only finished rows (default), only failed ones, or all (None).

    Returns
    -------
    pandas.DataFrame
        Columns ``id, sweep, target, task_key, seed, replicate``, then one column
        per parameter and one per metric (a name clash with a bookkeeping column
        is prefixed ``param.`` / ``metric.``), then ``status, error, wall_s, cpu_s,
        rmtlib_version, host, started_at, finished_at, run_id``; ordered by ``id``
        (the order in which tasks finished).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from rmtlib.pipeline.sweep import run_sweep
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     store = pathlib.Path(tmp, "demo.sqlite")
    ...     _ = run_sweep({"experiment": "rmtlib.experiments.sweep_examples:timed_draw", "seed": 3,
    ...                    "grid": {"delay": [0.0], "value": [10, 20]}},
    ...                   store=store, workers=1, progress=False)
    ...     df = load_results(store)
    >>> list(df.columns[:9])
    ['id', 'sweep', 'target', 'task_key', 'seed', 'replicate', 'delay', 'value', 'draw']
    >>> sorted(df["value"]), bool(((df["draw"] - df["value"]).between(0, 1)).all())
    ([10.0, 20.0], True)
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no sweep store at {path}")
    if status not in ("done", "failed", None):
        raise ValueError(f"status must be 'done', 'failed' or None, got {status!r}")
    front = ["id", "sweep", "target", "task_key", "seed", "replicate"]
    back = [
        "status",
        "error",
        "wall_s",
        "cpu_s",
        "rmtlib_version",
        "host",
        "started_at",
        "finished_at",
        "run_id",
    ]
    query = f"SELECT {', '.join(front + back)}, params, metrics FROM tasks"
    clauses, arguments = [], []
    if sweep is not None:
        clauses.append("sweep = ?")
        arguments.append(sweep)
    if status is not None:
        clauses.append("status = ?")
        arguments.append(status)
    if clauses:
        query += " WHERE " + " AND ".join(clauses)
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = connection.execute(query + " ORDER BY id", arguments).fetchall()
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"{path} is not an rmtlib sweep store ({exc})") from None
    finally:
        connection.close()
    records, param_names, metric_names = [], {}, {}
    for row in rows:
        record = dict(zip(front + back, row[:-2], strict=True))
        for source, prefix, names in ((row[-2], "param.", param_names), (row[-1], "metric.", metric_names)):
            for key, value in (json.loads(source) if source else {}).items():
                column = prefix + key if key in record or key in front + back else key
                names.setdefault(column, None)
                record[column] = value
        records.append(record)
    columns = front + list(param_names) + [m for m in metric_names if m not in param_names] + back
    return pd.DataFrame.from_records(records, columns=columns)
