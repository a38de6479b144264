"""Parameter sweeps: a grid of parameters x seeds, on local processes or a Dask cluster.

A sweep is described by a small YAML file (or the equivalent mapping)::

    name: spikes_demo                  # optional; default: the file name
    experiment: rmtlib.experiments.sweep_examples:spiked_top_eigenvalue
    # or: notebook: ../notebooks/03_spikes.ipynb   (run through papermill)
    seed: 2026                         # the sweep seed, an integer >= 0
    replicates: 3                      # independent seeds per grid point
    fixed: {sigma: 1.0}                # parameters common to every task
    grid:                              # the Cartesian product of these lists
      N: [200, 400, 800]
      theta: [0.5, 2.0, 3.0]
    store: spikes_demo.sqlite          # optional; relative to this file

``experiment`` is a name in :mod:`rmtlib.experiments` or ``module:function``;
the function takes keyword parameters and a keyword ``rng`` and returns a
``dict`` of floats. A ``notebook`` is executed with papermill; its metrics are
the verdicts it records (:func:`rmtlib.verdict.read_verdicts`).

:func:`run_sweep` runs every task not yet finished in the store, on local
processes (default) or on a Dask distributed cluster, and appends one row per
task to an SQLite store as soon as the task finishes, each row in its own
transaction. Each task draws from ``numpy.random.default_rng`` seeded by a
``SeedSequence`` built from the sweep seed, a hash of the task's parameters and
its replicate index (:func:`task_rng`), so the numbers do not depend on the
executor, the number of workers or the order of completion.
:func:`load_results` reads a store into a pandas DataFrame. From the shell::

    python -m rmtlib sweep CONFIG.yml [--workers N | --scheduler tcp://HOST:PORT
                                       | --local-cluster N] [--store PATH]
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import hashlib
import importlib
import inspect
import itertools
import json
import math
import numbers
import os
import signal
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .run import BLAS_THREAD_VARIABLES, _environment

__all__ = [
    "SweepConfig",
    "SweepConfigError",
    "SweepSummary",
    "Task",
    "add_parser",
    "load_config",
    "load_results",
    "main",
    "run_sweep",
    "task_rng",
]

SCHEMA_VERSION = 1
_CONFIG_KEYS = ("name", "experiment", "notebook", "seed", "replicates", "fixed", "grid", "store", "kernel")
_SIMPLE_TYPES = {"int": int, "float": float, "str": str, "bool": bool}
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


class SweepConfigError(ValueError):
    """A sweep cannot start: bad configuration, unknown experiment, unreachable scheduler."""


@dataclasses.dataclass(frozen=True)
class Task:
    """One point of the grid and one replicate: what a worker runs."""

    key: str
    params: dict
    replicate: int


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """A validated sweep: the target, its parameter grid and seeds.

    Build it with :func:`load_config`; ``target`` is ``module:function`` for an
    experiment and, for a notebook, its path as written in the configuration.
    """

    name: str
    kind: str
    target: str
    seed: int
    replicates: int
    fixed: dict
    grid: dict
    store: Path | None = None
    kernel: str | None = None
    notebook_files: dict | None = dataclasses.field(default=None, repr=False)

    def tasks(self) -> list[Task]:
        """All tasks, grid points in the order of the config, replicates innermost."""
        names = list(self.grid)
        tasks = []
        for values in itertools.product(*(self.grid[name] for name in names)):
            params = {**self.fixed, **dict(zip(names, values, strict=True))}
            for replicate in range(self.replicates):
                tasks.append(Task(_task_key(self.target, self.seed, params, replicate), params, replicate))
        return tasks

    def as_json(self) -> str:
        """The configuration as canonical JSON (recorded with each run in the store)."""
        return _canonical_json(
            {
                "name": self.name,
                self.kind: self.target,
                "seed": self.seed,
                "replicates": self.replicates,
                "fixed": self.fixed,
                "grid": self.grid,
                "kernel": self.kernel,
            }
        )


@dataclasses.dataclass(frozen=True)
class SweepSummary:
    """What a call of :func:`run_sweep` did.

    ``done`` tasks ran and finished now, ``skipped`` were already finished in
    the store, ``failed`` ran and raised; ``failures`` lists ``(params,
    replicate, error)`` for the failed ones.
    """

    name: str
    store: Path
    executor: str
    total: int
    done: int
    skipped: int
    failed: int
    failures: tuple
    wall_s: float

    def to_text(self) -> str:
        """A few lines for the terminal: counts, then the failures grouped by reason."""
        lines = [
            f"sweep {self.name!r} on {self.executor}: {self.total} tasks - {self.done} done, "
            f"{self.skipped} skipped (already in the store), {self.failed} failed "
            f"[{self.wall_s:.1f} s; store {self.store}]"
        ]
        by_reason = Counter(error for _, _, error in self.failures)
        for error, count in by_reason.most_common():
            params, replicate, _ = next(f for f in self.failures if f[2] == error)
            lines.append(
                f"  failed {count} x {error}  (e.g. {_format_params(params)}, replicate {replicate})"
            )
        return "\n".join(lines)


# --------------------------------------------------------------------------- configuration


def load_config(config) -> SweepConfig:
    """Read and validate a sweep configuration.

    Parameters
    ----------
    config : str, os.PathLike or mapping
        A YAML file, or the mapping it would contain (relative paths in a
        mapping are taken from the current directory, in a file from the file's
        directory).

    Returns
    -------
    SweepConfig

    Raises
    ------
    SweepConfigError
        With one message naming the problem: unknown keys, an unknown
        experiment or notebook, a parameter the target does not take or a
        required one missing, a value of the wrong type, an empty grid.

    Examples
    --------
    >>> cfg = load_config({"experiment": "rmtlib.experiments.sweep_examples:timed_draw", "seed": 1,
    ...                    "fixed": {"delay": 0}, "grid": {"value": [1, 2]}, "replicates": 2})
    >>> [(t.params, t.replicate) for t in cfg.tasks()][:2]
    [({'delay': 0.0, 'value': 1.0}, 0), ({'delay': 0.0, 'value': 1.0}, 1)]
    >>> load_config({"experiment": "rmtlib.experiments.sweep_examples:timed_draw", "seed": 1,
    ...              "grid": {"delay": [0], "hue": ["red"]}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rmtlib.sweep.SweepConfigError: rmtlib.experiments.sweep_examples:timed_draw takes no parameter 'hue' (...)
    """
    if isinstance(config, (str, os.PathLike)):
        path = Path(config)
        if not path.is_file():
            raise SweepConfigError(f"sweep config {path} does not exist")
        import yaml

        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise SweepConfigError(f"sweep config {path} is not valid YAML: {exc}") from None
        base, default_name, where = path.parent, path.stem, str(path)
    elif isinstance(config, Mapping):
        data, base, default_name, where = dict(config), Path.cwd(), "sweep", "sweep config"
    else:
        raise TypeError(f"config must be a path to a YAML file or a mapping, got {type(config).__name__}")
    if not isinstance(data, dict):
        raise SweepConfigError(f"{where} must be a mapping of keys {', '.join(_CONFIG_KEYS)}")
    unknown = sorted(set(map(str, data)) - set(_CONFIG_KEYS))
    if unknown:
        raise SweepConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)} (accepted: {', '.join(_CONFIG_KEYS)})"
        )

    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise SweepConfigError(f"{where}: name must be a non-empty string, got {name!r}")
    seed = data.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SweepConfigError(f"{where}: seed must be an integer >= 0 (the sweep seed), got {seed!r}")
    replicates = data.get("replicates", 1)
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise SweepConfigError(f"{where}: replicates must be an integer >= 1, got {replicates!r}")
    fixed = _mapping(data.get("fixed", {}), f"{where}: fixed")
    grid = _mapping(data.get("grid", {}), f"{where}: grid")
    for key, values in grid.items():
        if not isinstance(values, list):
            raise SweepConfigError(f"{where}: grid.{key} must be a list of values, got {values!r}")
        if not values:
            raise SweepConfigError(f"{where}: grid.{key} is empty, so the grid has no points")
    for key, value in [*fixed.items(), *((k, v) for k, vs in grid.items() for v in vs)]:
        _check_plain_value(value, f"{where}: {key}")
    both = sorted(set(fixed) & set(grid))
    if both:
        raise SweepConfigError(f"{where}: {', '.join(both)} appear(s) in both fixed and grid")
    store = data.get("store")
    if store is not None:
        if not isinstance(store, str) or not store:
            raise SweepConfigError(f"{where}: store must be a file path, got {store!r}")
        store = Path(os.path.normpath(base / store))
    kernel = data.get("kernel")
    if kernel is not None and not isinstance(kernel, str):
        raise SweepConfigError(f"{where}: kernel must be a Jupyter kernel name, got {kernel!r}")

    if ("experiment" in data) == ("notebook" in data):
        raise SweepConfigError(f"{where}: give exactly one of experiment (a function) or notebook")
    notebook_files = None
    if "experiment" in data:
        kind = "experiment"
        target, accepted = _resolve_experiment(data["experiment"])
        reserved = {"rng": "the sweep passes each task its own rng"}
    else:
        kind = "notebook"
        target, accepted, notebook_files = _resolve_notebook(data["notebook"], base)
        reserved = {"seed": "the sweep derives each task's notebook seed from the sweep seed"}
    fixed, grid = _check_against_target(target, accepted, reserved, fixed, grid)
    if len(set(map(_canonical_json, itertools.product(*grid.values())))) != math.prod(
        map(len, grid.values())
    ):
        dup = next(k for k, vs in grid.items() if len(set(map(_canonical_json, vs))) != len(vs))
        raise SweepConfigError(f"{where}: grid.{dup} lists the same value twice")
    return SweepConfig(
        name=name,
        kind=kind,
        target=target,
        seed=seed,
        replicates=replicates,
        fixed=fixed,
        grid=grid,
        store=store,
        kernel=kernel,
        notebook_files=notebook_files,
    )


def _mapping(value, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise SweepConfigError(f"{where} must be a mapping from parameter names to values, got {value!r}")
    return dict(value)


def _check_plain_value(value, where: str) -> None:
    """Accept what JSON and papermill carry: numbers, strings, bools, None and lists of them."""
    if isinstance(value, list):
        for item in value:
            _check_plain_value(item, where)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise SweepConfigError(f"{where} must be finite, got {value!r}")
    elif value is not None and not isinstance(value, (bool, int, str)):
        raise SweepConfigError(
            f"{where} must be a number, a string, a bool or a list of those, got {value!r} "
            f"({type(value).__name__})"
        )


def _resolve_experiment(spec) -> tuple[str, dict]:
    """Return ``module:function`` and ``{parameter: expected type or None}`` for an experiment."""
    if not isinstance(spec, str) or not spec:
        raise SweepConfigError(
            f"experiment must be a name in rmtlib.experiments or module:function, got {spec!r}"
        )
    module_name, _, function_name = spec.rpartition(":") if ":" in spec else ("rmtlib.experiments", "", spec)
    target = f"{module_name}:{function_name}"
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # an unknown module, or one that fails to import
        raise SweepConfigError(f"unknown experiment {spec!r}: cannot import {module_name} ({exc})") from None
    function = getattr(module, function_name, None)
    if not callable(function):
        available = ", ".join(getattr(module, "__all__", [])) or "none"
        raise SweepConfigError(
            f"unknown experiment {spec!r}: {module_name} has no function {function_name!r} "
            f"(available: {available})"
        )
    try:
        signature = inspect.signature(function, eval_str=True)
    except Exception:  # annotations that do not evaluate: check names only
        signature = inspect.signature(function)
    parameters = signature.parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    if "rng" not in parameters and not takes_any:
        raise SweepConfigError(f"experiment {target} must take a keyword argument rng")
    accepted = {}
    for p in parameters.values():
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "rng":
            accepted[p.name] = (_expected_type(p.annotation, p.default), p.default is p.empty)
    if takes_any:
        accepted[None] = (None, False)
    return target, accepted


def _expected_type(annotation, default):
    if isinstance(annotation, str):
        annotation = _SIMPLE_TYPES.get(annotation)
    if annotation in (int, float, str, bool):
        return annotation
    if annotation in (None, inspect.Parameter.empty) and type(default) in (int, float, str, bool):
        return type(default)
    return None


def _resolve_notebook(spec, base: Path) -> tuple[str, dict, dict]:
    """Return the notebook's identity, its parameters, and the files a worker needs to run it."""
    if not isinstance(spec, str) or not spec:
        raise SweepConfigError(f"notebook must be the path of an .ipynb file, got {spec!r}")
    path = base / spec
    if not path.is_file():
        raise SweepConfigError(f"notebook {path} does not exist")
    import papermill

    try:
        declared = papermill.inspect_notebook(str(path))
    except Exception as exc:
        raise SweepConfigError(f"cannot read the parameters of notebook {path}: {exc}") from None
    if "seed" not in declared:
        raise SweepConfigError(f"notebook {path} has no parameter 'seed' in its cell tagged parameters")
    accepted = {name: (_notebook_type(info), False) for name, info in declared.items() if name != "seed"}
    # The files travel with each task, so that workers need no shared disk: the notebook and
    # the chapters' profiles.yml next to it (read by rmtlib.run.rerun_note).
    files = {path.name: path.read_text()}
    profiles = path.with_name("profiles.yml")
    if profiles.is_file():
        files["profiles.yml"] = profiles.read_text()
    # The notebook's identity is its path as written in the config (relative to the config
    # file), so that task keys do not depend on the directory the sweep is started from.
    return os.path.normpath(spec), accepted, files


def _notebook_type(info: dict):
    """The type of a notebook parameter: its annotation, else that of its default literal."""
    declared = _SIMPLE_TYPES.get(info.get("inferred_type_name"))
    if declared is not None:
        return declared
    try:
        default = ast.literal_eval(info.get("default", ""))
    except (ValueError, SyntaxError):  # not a literal (an expression): no type check
        return None
    return type(default) if type(default) in (int, float, str, bool) else None


def _check_against_target(target: str, accepted: dict, reserved: dict, fixed: dict, grid: dict):
    """Check names, required parameters and types; return fixed and grid with ints made floats where due."""
    named = sorted(k for k in accepted if k is not None)
    for key in [*fixed, *grid]:
        if key in reserved:
            raise SweepConfigError(f"{target}: do not set {key!r} ({reserved[key]})")
        if key not in accepted and None not in accepted:
            raise SweepConfigError(f"{target} takes no parameter {key!r} (it takes: {', '.join(named)})")
    missing = [k for k in named if accepted[k][1] and k not in fixed and k not in grid]
    if missing:
        raise SweepConfigError(
            f"{target}: required parameter(s) {', '.join(missing)} missing from fixed/grid"
        )

    def coerce(key, value):
        expected = accepted.get(key, accepted.get(None))[0]
        if expected is None or (type(value) is expected):
            return value
        if expected is float and type(value) is int:
            return float(value)
        raise SweepConfigError(
            f"{target}: parameter {key!r} must be {expected.__name__}, got {value!r} ({type(value).__name__})"
        )

    fixed = {k: coerce(k, v) for k, v in fixed.items()}
    grid = {k: [coerce(k, v) for v in vs] for k, vs in grid.items()}
    return fixed, grid


# --------------------------------------------------------------------------- seeds and keys


def _canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _task_key(target: str, seed: int, params: dict, replicate: int) -> str:
    text = _canonical_json({"target": target, "seed": seed, "params": params, "replicate": replicate})
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _seed_sequence(seed: int, params: dict, replicate: int) -> np.random.SeedSequence:
    digest = hashlib.sha256(_canonical_json(params).encode()).digest()
    words = tuple(int(w) for w in np.frombuffer(digest[:16], dtype="<u4"))
    return np.random.SeedSequence(seed, spawn_key=(*words, replicate))


def task_rng(seed: int, params: dict, replicate: int = 0) -> np.random.Generator:
    """The Generator a sweep task draws from: a function of the sweep seed, params and replicate only.

    ``params`` are the task's parameters as stored (the ``params`` JSON of a
    row, or the parameter columns of :func:`load_results`), so any row can be
    recomputed by calling the experiment with ``rng=task_rng(...)``.

    Examples
    --------
    >>> a = task_rng(7, {"N": 100, "theta": 2.0}, 0).random()
    >>> b = task_rng(7, {"theta": 2.0, "N": 100}, 0).random()   # key order does not matter
    >>> a == b, a == task_rng(7, {"N": 100, "theta": 2.0}, 1).random()
    (True, False)
    """
    return np.random.default_rng(_seed_sequence(seed, params, replicate))


# --------------------------------------------------------------------------- worker side

_BLAS_PINNED = False


def _pin_blas_threads() -> None:
    """One BLAS/OpenMP thread in this process: the workers, not BLAS, use the cores."""
    global _BLAS_PINNED
    if _BLAS_PINNED:
        return
    # The variables reach libraries loaded later (SciPy's OpenBLAS, OpenMP) and subprocesses
    # (papermill kernels); threadpoolctl reaches those already loaded (NumPy's OpenBLAS).
    for variable in BLAS_THREAD_VARIABLES:
        os.environ[variable] = "1"
    import threadpoolctl

    threadpoolctl.threadpool_limits(limits=1)
    _BLAS_PINNED = True


def _init_local_worker(cancel) -> None:
    """Initializer of a local worker process: pin BLAS, exit when cancelled or orphaned.

    Ctrl-C reaches the whole process group; the workers ignore it and leave the
    coordinator to cancel them, so that one interrupt prints one message.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _pin_blas_threads()
    parent = os.getppid()

    def watch():
        while not cancel.wait(0.5) and os.getppid() == parent:
            pass
        os._exit(1)

    threading.Thread(target=watch, name="rmtlib-sweep-watchdog", daemon=True).start()


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _execute(spec: dict) -> dict:
    """Run one task (in a worker); never raises: failures come back as a row."""
    _pin_blas_threads()
    started, t0, c0 = _utc_now(), time.perf_counter(), time.process_time()
    metrics, error, trace = None, None, None
    try:
        if spec["kind"] == "experiment":
            module_name, function_name = spec["target"].split(":")
            function = getattr(importlib.import_module(module_name), function_name)
            rng = task_rng(spec["seed"], spec["params"], spec["replicate"])
            metrics = _as_metrics(function(**spec["params"], rng=rng))
        else:
            metrics, error = _run_notebook(spec)
    except Exception as exc:
        error, trace = f"{type(exc).__name__}: {exc}", traceback.format_exc()
    import rmtlib

    return {
        "task_key": spec["key"],
        "status": "failed" if error else "done",
        "metrics": metrics,
        "error": error,
        "traceback": trace,
        "wall_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
        "rmtlib_version": rmtlib.__version__,
        "host": socket.gethostname(),
        "started_at": started,
        "finished_at": _utc_now(),
    }


def _as_metrics(result) -> dict:
    if not isinstance(result, Mapping):
        raise TypeError(f"the experiment must return a dict of floats, got {type(result).__name__}")
    metrics = {}
    for key, value in result.items():
        if not isinstance(key, str):
            raise TypeError(f"metric names must be strings, got {key!r}")
        if not isinstance(value, (numbers.Real, np.bool_)):
            raise TypeError(f"metric {key!r} must be a real number, got {value!r} ({type(value).__name__})")
        metrics[key] = float(value)
    return metrics


def _notebook_seed(spec: dict) -> int:
    return int(_seed_sequence(spec["seed"], spec["params"], spec["replicate"]).generate_state(1)[0])


def _run_notebook(spec: dict) -> tuple[dict, str | None]:
    """Execute the notebook with papermill in a scratch folder; metrics from its verdicts."""
    import nbformat
    import papermill

    from .verdict import read_verdicts

    seed = _notebook_seed(spec)
    error = None
    with tempfile.TemporaryDirectory(prefix="rmtlib-sweep-") as scratch:
        for name, text in spec["notebook_files"].items():
            Path(scratch, name).write_text(text)
        source = Path(scratch, Path(spec["target"]).name)
        output = source.with_suffix(".executed.ipynb")
        # What the kernel sees, as under `python -m rmtlib run` (see rmtlib.run): figures in
        # the scratch folder, no progress bars, the shipped profiles.yml.
        environment = {
            "RMTLIB_FIGURES_DIR": str(Path(scratch, "figures")),
            "RMTLIB_PROGRESS": "0",
            "RMTLIB_PROFILE": "sweep",
            "RMTLIB_PROFILES": str(Path(scratch, "profiles.yml")),
        }
        try:
            with _environment(**environment):
                papermill.execute_notebook(
                    str(source),
                    str(output),
                    parameters={**spec["params"], "seed": seed},
                    kernel_name=spec["kernel"],
                    progress_bar=False,
                    log_output=False,
                    cwd=scratch,
                )
        except papermill.PapermillExecutionError as exc:
            error = f"{exc.ename}: {exc.evalue}"
        verdicts = read_verdicts(nbformat.read(output, as_version=4)) if output.exists() else []
    metrics = {"notebook_seed": float(seed)}
    for v in verdicts:
        label = f"{v.theorem} {v.quantity}"
        metrics.update(
            {
                f"{label}: observed": v.observed,
                f"{label}: predicted": v.predicted,
                f"{label}: tolerance": v.tolerance,
                f"{label}: passed": float(v.passed),
            }
        )
    return metrics, error


# --------------------------------------------------------------------------- the store


class _Store:
    """The SQLite file: one row per task (``tasks``), one per invocation (``runs``)."""

    def __init__(self, path: Path):
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.connection = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise SweepConfigError(f"cannot create the store {path} ({exc})") from None
        try:
            tables = {row[0] for row in self.connection.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            self.connection.close()
            raise SweepConfigError(f"store {path} is not an SQLite database ({exc})") from None
        if "tasks" in tables:
            columns = {row[1] for row in self.connection.execute("PRAGMA table_info(tasks)")}
            if not set(_TASK_COLUMNS) <= columns:
                self.connection.close()
                raise SweepConfigError(f"store {path} has a tasks table that is not an rmtlib sweep store")
        elif tables - {"sqlite_sequence", "runs", "meta"}:
            self.connection.close()
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

    def finished_keys(self) -> set[str]:
        return {row[0] for row in self.connection.execute("SELECT task_key FROM tasks WHERE status = 'done'")}

    def start_run(self, config: SweepConfig, executor: str) -> int:
        import rmtlib

        cursor = self.connection.execute(
            "INSERT INTO runs (sweep, config, executor, rmtlib_version, host, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (config.name, config.as_json(), executor, rmtlib.__version__, socket.gethostname(), _utc_now()),
        )
        return cursor.lastrowid

    def finish_run(self, run_id: int, done: int, skipped: int, failed: int) -> None:
        self.connection.execute(
            "UPDATE runs SET finished_at = ?, done = ?, skipped = ?, failed = ? WHERE id = ?",
            (_utc_now(), done, skipped, failed, run_id),
        )

    def record(self, config: SweepConfig, task: Task, row: dict, run_id: int) -> None:
        """Insert one finished task (one statement, one transaction); a failed row may be replaced."""
        values = {
            **row,
            "sweep": config.name,
            "target": config.target,
            "params": _canonical_json(task.params),
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


# --------------------------------------------------------------------------- executors


def _probe(address: str, timeout: float) -> None:
    """Fail fast, naming the address, when nothing listens there (before Dask retries)."""
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    try:
        protocol, location = parse_address(address)
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise SweepConfigError(
            f"scheduler address {address!r} is not of the form tcp://HOST:PORT ({exc})"
        ) from None
    if protocol not in ("tcp", "tls"):
        return
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise SweepConfigError(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({exc}); "
            f"start one with `dask scheduler` and workers with `dask worker {address}`"
        ) from None


def _connect(scheduler: str, timeout: float):
    from distributed import Client

    _probe(scheduler, timeout)
    try:
        client = Client(scheduler, timeout=timeout, set_as_default=False)
    except Exception as exc:
        raise SweepConfigError(
            f"cannot connect to a Dask scheduler at {scheduler} within {timeout:g} s "
            f"({type(exc).__name__}: {exc})"
        ) from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        client.close()
        raise SweepConfigError(
            f"the Dask scheduler at {scheduler} has no workers (waited {timeout:g} s); "
            f"start some with `dask worker {scheduler} --nthreads 1`"
        ) from None
    return client


def _run_local(specs: list[dict], workers: int, on_result) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("spawn")
    cancel = context.Event()
    executor = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_local_worker, initargs=(cancel,)
    )
    finished = False
    try:
        futures = {executor.submit(_execute, spec): spec for spec in specs}
        for future in as_completed(futures):
            try:
                row = future.result()
            except BrokenProcessPool:
                row = _lost_row(futures[future], f"BrokenProcessPool: {_BROKEN_POOL_HINT}")
            on_result(row)
        finished = True
    finally:
        if not finished:  # interrupted: stop the workers now, drop what is in flight
            cancel.set()
        executor.shutdown(wait=finished, cancel_futures=not finished)


_BROKEN_POOL_HINT = (
    "a worker process died (out of memory, a crash in compiled code, or a script that starts "
    "a sweep outside `if __name__ == '__main__':`)"
)


def _run_dask(client, specs: list[dict], on_result) -> None:
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]  # fresh keys: never collide with a cancelled earlier run
    futures = {
        client.submit(_execute, spec, key=f"rmtlib-sweep-{spec['key']}-{token}"): spec for spec in specs
    }
    finished = False
    try:
        for future in as_completed(futures, loop=client.loop):
            try:
                row = future.result()
            except Exception as exc:  # e.g. KilledWorker: the task took its worker down
                row = _lost_row(futures[future], f"{type(exc).__name__}: {exc}")
            on_result(row)
        finished = True
    finally:
        if not finished:
            client.cancel(list(futures))


def _lost_row(spec: dict, error: str) -> dict:
    now = _utc_now()
    return {
        "task_key": spec["key"],
        "status": "failed",
        "metrics": None,
        "error": error,
        "traceback": None,
        "wall_s": None,
        "cpu_s": None,
        "rmtlib_version": None,
        "host": None,
        "started_at": None,
        "finished_at": now,
    }


def _format_params(params: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items()) or "no parameters"


def run_sweep(
    config,
    *,
    store=None,
    workers: int | None = None,
    scheduler: str | None = None,
    local_cluster: int | None = None,
    connect_timeout: float = 10.0,
    progress: bool = True,
) -> SweepSummary:
    """Run every task of a sweep that the store does not hold finished yet.

    Parameters
    ----------
    config : str, os.PathLike, mapping or SweepConfig
        The sweep (see :func:`load_config`).
    store : str or os.PathLike, optional
        The SQLite file; default: the config's ``store``, else ``<name>.sqlite``
        in the current directory. Created (with its folder) only once the
        configuration and the scheduler have been checked.
    workers : int, optional
        Local worker processes (default: the usable cores, at most one per task).
    scheduler : str, optional
        Address of a running Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``; the
        tasks run on its workers (which must have rmtlib installed).
    local_cluster : int, optional
        Start a ``dask.distributed.LocalCluster`` with this many single-threaded
        worker processes on 127.0.0.1 for this sweep (to try the Dask path).
    connect_timeout : float, optional
        Seconds to wait for the scheduler and for its first worker.
    progress : bool, optional
        Show a tqdm progress bar (with ETA) on stderr.

    Returns
    -------
    SweepSummary
        Counts of tasks done now, skipped (already finished), failed (with reasons).

    Raises
    ------
    SweepConfigError
        Bad configuration, unknown experiment or parameter, empty grid, wrong
        types, unreachable scheduler: raised before anything is written.

    Notes
    -----
    Each worker process runs with one BLAS/OpenMP thread (the ``*_NUM_THREADS``
    variables and :mod:`threadpoolctl`), so that ``w`` workers use ``w`` cores.
    Each finished task is one SQLite transaction: killing the sweep loses only
    the tasks in flight, and running it again computes only what is missing.
    Failed tasks are recorded with their error, do not stop the sweep, and are
    tried again by the next run.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> config = {"name": "demo", "experiment": "rmtlib.experiments.sweep_examples:timed_draw",
    ...           "seed": 5, "grid": {"delay": [0.0, 0.01]}, "replicates": 2}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = run_sweep(config, store=pathlib.Path(tmp, "s.sqlite"), workers=1, progress=False)
    ...     again = run_sweep(config, store=pathlib.Path(tmp, "s.sqlite"), workers=1, progress=False)
    >>> (first.done, first.skipped, again.done, again.skipped)
    (4, 0, 0, 4)
    """
    config = config if isinstance(config, SweepConfig) else load_config(config)
    if scheduler is not None and local_cluster is not None:
        raise SweepConfigError("give either scheduler (an existing cluster) or local_cluster, not both")
    if workers is not None and (scheduler is not None or local_cluster is not None):
        raise SweepConfigError("workers sets local processes; on a Dask cluster the cluster decides")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise SweepConfigError(f"workers must be an integer >= 1, got {workers!r}")
    if local_cluster is not None and (
        isinstance(local_cluster, bool) or not isinstance(local_cluster, int) or local_cluster < 1
    ):
        raise SweepConfigError(f"local_cluster must be a number of workers >= 1, got {local_cluster!r}")
    if (
        isinstance(connect_timeout, bool)
        or not isinstance(connect_timeout, numbers.Real)
        or not connect_timeout > 0
    ):
        raise SweepConfigError(f"connect_timeout must be a number of seconds > 0, got {connect_timeout!r}")
    if scheduler is not None and not isinstance(scheduler, str):
        raise SweepConfigError(f"scheduler must be an address such as tcp://HOST:PORT, got {scheduler!r}")
    tasks = config.tasks()
    store_path = Path(store) if store is not None else config.store or Path(f"{config.name}.sqlite")

    client = cluster = None
    if scheduler is not None:
        client = _connect(scheduler, float(connect_timeout))
        executor = f"Dask scheduler {scheduler}"
    elif local_cluster is not None:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=local_cluster,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = Client(cluster, set_as_default=False)
        executor = f"Dask LocalCluster ({local_cluster} workers)"
    try:
        db = _Store(store_path)
        try:
            return _run(config, tasks, db, executor if client else None, client, workers, progress)
        finally:
            db.close()
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def _run(config, tasks, db, dask_executor, client, workers, progress) -> SweepSummary:
    from tqdm import tqdm

    t0 = time.perf_counter()
    finished = db.finished_keys()
    todo = [task for task in tasks if task.key not in finished]
    if not todo:
        executor = "no workers (nothing left to run)"
    elif dask_executor is None:
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        workers = max(1, min(workers or usable, len(todo)))
        executor = f"{workers} local process{'es' if workers > 1 else ''}"
    else:
        executor = dask_executor
    run_id = db.start_run(config, executor)
    by_key = {task.key: task for task in todo}
    specs = [
        {
            "key": task.key,
            "kind": config.kind,
            "target": config.target,
            "params": task.params,
            "seed": config.seed,
            "replicate": task.replicate,
            "notebook_files": config.notebook_files,
            "kernel": config.kernel,
        }
        for task in todo
    ]
    counts = Counter()
    failures = []
    bar = tqdm(
        total=len(todo), desc=config.name, unit="task", disable=not (progress and todo), file=sys.stderr
    )

    def on_result(row):
        task = by_key[row["task_key"]]
        db.record(config, task, row, run_id)
        counts[row["status"]] += 1
        if row["status"] == "failed":
            failures.append((task.params, task.replicate, row["error"]))
            bar.set_postfix(failed=counts["failed"])
        bar.update()

    try:
        if not todo:
            pass
        elif client is not None:
            _run_dask(client, specs, on_result)
        else:
            _run_local(specs, workers, on_result)
    finally:
        bar.close()
        db.finish_run(run_id, counts["done"], len(tasks) - len(todo), counts["failed"])
    return SweepSummary(
        name=config.name,
        store=db.path,
        executor=executor,
        total=len(tasks),
        done=counts["done"],
        skipped=len(tasks) - len(todo),
        failed=counts["failed"],
        failures=tuple(failures),
        wall_s=time.perf_counter() - t0,
    )


# --------------------------------------------------------------------------- command line


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the sweep's YAML file")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local worker processes (default: all usable cores)")
    where.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask distributed scheduler"
    )
    where.add_argument(
        "--local-cluster", type=int, metavar="N", help="start a Dask LocalCluster of N workers for this sweep"
    )
    parser.add_argument("--store", help="the SQLite store (default: from the config, else NAME.sqlite)")
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="wait this long for the scheduler",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


_DESCRIPTION = (
    "Run a grid of parameters x seeds of an experiment or a notebook, on local processes or a Dask "
    "cluster, appending one row per finished task to an SQLite store; rerunning skips finished tasks."
)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``sweep`` sub-command to an ``argparse`` sub-parsers object.

    The parser's default ``handler`` is :func:`run_from_args`; the caller runs
    ``args.handler(args)`` and uses its return value as exit status.
    """
    parser = subparsers.add_parser("sweep", help="run a parameter sweep", description=_DESCRIPTION)
    _add_arguments(parser)
    parser.set_defaults(handler=run_from_args)
    return parser


def run_from_args(args: argparse.Namespace) -> int:
    """Run the sweep that ``args`` describe.

    Returns the exit status: 0 if every task finished, 1 if some failed, 2 when
    the sweep could not start (the message goes to stderr), 128 + the signal
    number when interrupted by Ctrl-C (SIGINT) or SIGTERM.
    """
    from .progress import progress_enabled

    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        summary = run_sweep(
            args.config,
            store=args.store,
            workers=args.workers,
            scheduler=args.scheduler,
            local_cluster=args.local_cluster,
            connect_timeout=args.connect_timeout,
            progress=not args.no_progress and progress_enabled(),
        )
    except SweepConfigError as exc:
        print(f"rmtlib sweep: error: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, _Terminated) as exc:
        signum = exc.signum if isinstance(exc, _Terminated) else signal.SIGINT
        print(
            f"\nrmtlib sweep: interrupted ({signal.Signals(signum).name}); the finished tasks are in the "
            "store: run the same command again to run the rest",
            file=sys.stderr,
        )
        return 128 + signum
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
    print(summary.to_text())
    return 1 if summary.failed else 0


class _Terminated(Exception):
    def __init__(self, signum: int):
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def _terminate(signum, frame):
    raise _Terminated(signum)


def main(argv=None) -> int:
    """``rmtlib sweep`` as a stand-alone command: parse ``argv`` and run."""
    parser = argparse.ArgumentParser(prog="rmtlib sweep", description=_DESCRIPTION)
    _add_arguments(parser)
    return run_from_args(parser.parse_args(argv))
