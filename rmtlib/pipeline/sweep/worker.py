"""The worker side of a sweep: run one task (an experiment function or a notebook), return its row.

A worker never raises: a failing task comes back as a row with its error and traceback.
"""

from __future__ import annotations

import importlib
import numbers
import os
import signal
import socket
import tempfile
import threading
import time
import traceback
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..runner import NotebookExecutionError, blas_threads_environment
from ..runner import execute as run_chapter
from .seeds import notebook_seed, task_rng

__all__ = ["execute", "init_local_worker", "utc_now"]

_BLAS_PINNED = False


def _pin_blas_threads() -> None:
    """Apply the runner's BLAS thread rule in this process: one thread unless the user set it.

    See :func:`rmtlib.pipeline.runner.blas_threads_environment`: the workers, not BLAS,
    use the cores.
    """
    global _BLAS_PINNED
    if _BLAS_PINNED:
        return
    # The variables reach libraries loaded later (SciPy's OpenBLAS, OpenMP) and subprocesses
    # (notebook kernels); threadpoolctl reaches those already loaded (NumPy's OpenBLAS).
    environment = blas_threads_environment()
    os.environ.update(environment)
    import threadpoolctl

    limits = {"blas": environment["OPENBLAS_NUM_THREADS"], "openmp": environment["OMP_NUM_THREADS"]}
    threadpoolctl.threadpool_limits(limits={api: int(n) for api, n in limits.items() if n.strip().isdigit()})
    _BLAS_PINNED = True


def init_local_worker(cancel) -> None:
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


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def execute(spec: dict) -> dict:
    """Run one task (in a worker); never raises: failures come back as a row."""
    _pin_blas_threads()
    started, t0, c0 = utc_now(), time.perf_counter(), time.process_time()
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
        "finished_at": utc_now(),
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


def _run_notebook(spec: dict) -> tuple[dict, str | None]:
    """Execute the notebook with the chapter runner in a scratch folder; metrics from its verdicts."""
    import nbformat

    from ...verdict import read_verdicts

    seed = notebook_seed(spec["seed"], spec["params"], spec["replicate"])
    error = None
    with tempfile.TemporaryDirectory(prefix="rmtlib-sweep-") as scratch:
        for name, text in spec["notebook_files"].items():
            Path(scratch, name).write_text(text)
        source = Path(scratch, Path(spec["target"]).name)
        try:
            nb = run_chapter(
                source,
                {**spec["params"], "seed": seed},
                source.with_suffix(".executed.ipynb"),
                profile="sweep",
                kernel_name=spec["kernel"],
                progress_bar=False,
            )
        except NotebookExecutionError as exc:
            error, nb = exc.error, nbformat.read(exc.failed_notebook, as_version=4)
        verdicts = read_verdicts(nb)
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
