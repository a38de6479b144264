"""Parameter sweeps: a grid of parameters x seeds, on local processes or a Dask cluster.

A sweep is described by a small YAML file (or the equivalent mapping)::

    name: spikes_demo                  # optional; default: the file name
    experiment: rmtlib.experiments.sweep_examples:spiked_top_eigenvalue
    # or: notebook: ../notebooks/03_spikes.ipynb   (run as `rmtlib run` runs it)
    seed: 2026                         # the sweep seed, an integer >= 0
    replicates: 3                      # independent seeds per grid point
    fixed: {sigma: 1.0}                # parameters common to every task
    grid:                              # the Cartesian product of these lists
      N: [200, 400, 800]
      theta: [0.5, 2.0, 3.0]
    store: spikes_demo.sqlite          # optional; relative to this file

``experiment`` is a name in :mod:`rmtlib.experiments` or ``module:function``;
the function takes keyword parameters and a keyword ``rng`` and returns a
``dict`` of floats. A ``notebook`` is executed by the chapter runner
(:func:`rmtlib.pipeline.runner.execute`, as ``python -m rmtlib run`` does), its
values checked like ``run -p`` values when the configuration loads; its metrics are
the verdicts it records (:func:`rmtlib.verdict.read_verdicts`).

The modules: :mod:`~.config` (read and check a configuration, list its tasks),
:mod:`~.seeds` (task keys and generators), :mod:`~.worker` (run one task),
:mod:`~.store` (the SQLite store; its reader :func:`load_results` is
:mod:`rmtlib.sweep_results`, which chapters import), :mod:`~.executors`
(local processes or Dask, :func:`run_sweep`), :mod:`~.cli` (``python -m rmtlib sweep``).

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

from ...sweep_results import StoreFormatError, load_results
from .config import MAX_TASKS, SweepConfig, SweepConfigError, Task, load_config
from .executors import SweepInterrupted, SweepSummary, run_sweep
from .seeds import task_rng
from .store import StoreError

__all__ = [
    "MAX_TASKS",
    "StoreError",
    "StoreFormatError",
    "SweepConfig",
    "SweepConfigError",
    "SweepInterrupted",
    "SweepSummary",
    "Task",
    "load_config",
    "load_results",
    "run_sweep",
    "task_rng",
]
