"""Read a sweep store: :func:`load_results`, the reader a chapter imports.

A sweep (``python -m rmtlib sweep``, :mod:`rmtlib.pipeline.sweep`) appends one row per
finished task to an SQLite store. This module only reads stores, and is part of the
chapters' content hash: a chapter that reads a store is executed again when the reader
changes. It refuses a store it does not understand (another schema version, an edited
configuration hash, a corrupt row) with one line, rather than returning wrong rows.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

__all__ = ["SCHEMA_VERSION", "StoreFormatError", "check_store", "config_digest", "load_results"]

#: The version of the store's layout, written in its ``meta`` table and in ``PRAGMA user_version``.
SCHEMA_VERSION = 1
_FRONT = ["id", "sweep", "target", "task_key", "seed", "replicate"]
_BACK = [
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


class StoreFormatError(ValueError):
    """A file is not a sweep store this version of rmtlib can read (one line, naming the file)."""


def config_digest(config_json: str) -> str:
    """The hash that ties a sweep name to its configuration in the store's ``meta`` table."""
    return hashlib.sha256(config_json.encode()).hexdigest()


def check_store(connection: sqlite3.Connection, path) -> None:
    """Refuse a store of another schema version, without ``meta``, or whose configuration hash was edited.

    A store without any table (new) passes. Raises :class:`StoreFormatError`.
    """
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables - {"sqlite_sequence"}:
        return
    user_version = connection.execute("PRAGMA user_version").fetchone()[0]
    if user_version not in (0, SCHEMA_VERSION):  # 0: written before the version was set there
        raise StoreFormatError(
            f"store {path} has schema version {user_version}; this rmtlib reads version {SCHEMA_VERSION}"
        )
    if "meta" not in tables or "tasks" not in tables or "runs" not in tables:
        missing = sorted({"meta", "tasks", "runs"} - tables)
        raise StoreFormatError(
            f"store {path} lacks its {', '.join(missing)} table(s): not an rmtlib sweep store"
        )
    meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("schema_version") != str(SCHEMA_VERSION):
        raise StoreFormatError(
            f"store {path} has schema version {_short(meta.get('schema_version'))}; "
            f"this rmtlib reads version {SCHEMA_VERSION}"
        )
    for key, digest in meta.items():
        if not key.startswith("config:"):
            continue
        name = key.removeprefix("config:")
        last = connection.execute(
            "SELECT config FROM runs WHERE sweep = ? ORDER BY id DESC LIMIT 1", (name,)
        ).fetchone()
        if last is not None and config_digest(last[0]) != digest:
            raise StoreFormatError(
                f"store {path}: the configuration hash of sweep {_short(name)} does not match its "
                "recorded configuration (the store was edited): refusing to read or extend it"
            )


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_object(text, what: str, row_id, path) -> dict:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        value = None
    if not isinstance(value, dict):
        raise StoreFormatError(
            f"store {path}: row {row_id} has corrupt {what} ({_short(text)}): not a JSON object"
        )
    return value


def load_results(path, *, sweep: str | None = None, status: str | None = "done"):
    """Read a sweep store into a pandas DataFrame, one row per task.

    Parameters
    ----------
    path : str or os.PathLike
        The SQLite store written by :func:`rmtlib.sweep.run_sweep`; opened read-only.
    sweep : str, optional
        Keep only the tasks of this sweep name (a store may hold several): the rows it
        computed and the rows it found finished by another sweep of the same tasks (its
        ``sweep`` column names the sweep that computed the row).
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

    Raises
    ------
    StoreFormatError
        The file is not a store of this schema version, its configuration hash was
        edited, or a row's parameters or metrics are not a JSON object.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from rmtlib.sweep import run_sweep
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
    query = f"SELECT {', '.join(_FRONT + _BACK)}, params, metrics FROM tasks"
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        check_store(connection, path)
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        clauses, arguments = [], []
        if sweep is not None:
            if "members" in tables:
                clauses.append("(sweep = ? OR task_key IN (SELECT task_key FROM members WHERE sweep = ?))")
                arguments += [sweep, sweep]
            else:
                clauses.append("sweep = ?")
                arguments.append(sweep)
        if status is not None:
            clauses.append("status = ?")
            arguments.append(status)
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        rows = connection.execute(query + " ORDER BY id", arguments).fetchall()
    except sqlite3.DatabaseError as exc:
        raise StoreFormatError(f"{path} is not an rmtlib sweep store ({exc})") from None
    finally:
        connection.close()
    records, param_names, metric_names = [], {}, {}
    for row in rows:
        record = dict(zip(_FRONT + _BACK, row[:-2], strict=True))
        for source, what, prefix, names in (
            (row[-2], "params", "param.", param_names),
            (row[-1], "metrics", "metric.", metric_names),
        ):
            for key, value in _json_object(source, what, record["id"], path).items():
                column = prefix + key if key in record or key in _FRONT + _BACK else key
                names.setdefault(column, None)
                record[column] = value
        records.append(record)
    columns = _FRONT + list(param_names) + [m for m in metric_names if m not in param_names] + _BACK
    return pd.DataFrame.from_records(records, columns=columns)
