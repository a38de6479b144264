"""Benchmark of rmtlib.pipeline.sweep: parallel speedup and per-task overhead.

1. CPU-bound sweep: ``--tasks`` dense eigenvalue problems of size ``--N``
   (``rmtlib.experiments.sweep_examples.spiked_top_eigenvalue``), BLAS pinned to one thread
   per worker, on 1 and on 2 local worker processes. Reports the wall times
   (pool start-up included) and the speedup, and the same measured from the
   first task's start to the last task's end; the goal on a 2-core machine is
   at least 1.7x. Also the CPU seconds per task (equal for 1 and 2 workers when
   the workers do not slow each other down: one BLAS thread each, no memory-bandwidth
   bottleneck) and the cores actually obtained (CPU seconds / elapsed), which show
   whether the machine was shared with other work during the measurement.
2. Per-task overhead: tasks that do nothing (``timed_draw`` with ``delay=0``) on
   2 local processes and on a Dask ``LocalCluster`` of 2 single-threaded workers
   (TCP on 127.0.0.1). The overhead per task is the slope
   ``(T(n_large) - T(n_small)) / (n_large - n_small)``, so that start-up costs
   (pool, cluster connection) cancel; it includes the SQLite write of each row.
   Each time is the best of ``--repeat`` runs.

Run from the repository root::

    python bench/bench_sweep.py [--tasks 40] [--N 1500] [--tiny 200] [--repeat 3] [--json out.json]

Timings depend on the machine and on its load; run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from rmtlib.sweep import load_results, run_sweep


def timed_sweep(config: dict, store: Path, repeat: int = 1, **executor) -> float:
    """Best wall time of ``repeat`` runs of the sweep, each into a fresh store ``<store>-<i>``."""
    best = float("inf")
    for attempt in range(repeat):
        t0 = time.perf_counter()
        summary = run_sweep(
            config, store=store.with_name(f"{store.stem}-{attempt}.sqlite"), progress=False, **executor
        )
        best = min(best, time.perf_counter() - t0)
        if summary.failed or summary.done != summary.total:
            raise RuntimeError(summary.to_text())
    return best


def busy_span(store: Path) -> float:
    """Seconds from the first task's start to the last task's end (pool start-up excluded)."""
    df = load_results(store.with_name(f"{store.stem}-0.sqlite"))
    return (pd.to_datetime(df["finished_at"]).max() - pd.to_datetime(df["started_at"]).min()).total_seconds()


def cpu_bound(tasks: int, N: int, scratch: Path) -> dict:
    config = {
        "name": "bench_eigvalsh",
        "experiment": "rmtlib.experiments.sweep_examples:spiked_top_eigenvalue",
        "seed": 1,
        "fixed": {"N": N, "theta": 3.0},
        "replicates": tasks,
    }
    one = timed_sweep(config, scratch / "cpu1.sqlite", workers=1)
    two = timed_sweep(config, scratch / "cpu2.sqlite", workers=2)
    busy_one, busy_two = busy_span(scratch / "cpu1.sqlite"), busy_span(scratch / "cpu2.sqlite")
    rows_one, rows_two = load_results(scratch / "cpu1-0.sqlite"), load_results(scratch / "cpu2-0.sqlite")
    return {
        "tasks": tasks,
        "N": N,
        "mean_task_s_1_worker": float(rows_one["wall_s"].mean()),
        "mean_task_cpu_s_1_worker": float(rows_one["cpu_s"].mean()),
        "mean_task_cpu_s_2_workers": float(rows_two["cpu_s"].mean()),
        "cores_used_1_worker": float(rows_one["cpu_s"].sum()) / busy_one,
        "cores_used_2_workers": float(rows_two["cpu_s"].sum()) / busy_two,
        "wall_s_1_worker": one,
        "wall_s_2_workers": two,
        "speedup": one / two,
        "busy_s_1_worker": busy_one,
        "busy_s_2_workers": busy_two,
        "speedup_busy": busy_one / busy_two,
    }


def overhead(n_small: int, n_large: int, scratch: Path, repeat: int) -> dict:
    from distributed import LocalCluster

    def config(n: int, tag: str) -> dict:
        return {
            "name": f"bench_tiny_{tag}_{n}",
            "experiment": "rmtlib.experiments.sweep_examples:timed_draw",
            "seed": 2,
            "fixed": {"delay": 0.0},
            "grid": {"value": list(range(n))},
        }

    sizes = (n_small, n_large)
    local = {
        n: timed_sweep(config(n, "local"), scratch / f"local{n}.sqlite", repeat, workers=2) for n in sizes
    }
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        timed_sweep(config(n_small, "warmup"), scratch / "warmup.sqlite", scheduler=address)
        dask = {
            n: timed_sweep(config(n, "dask"), scratch / f"dask{n}.sqlite", repeat, scheduler=address)
            for n in sizes
        }
    return {
        "n_small": n_small,
        "n_large": n_large,
        "local_wall_s": local,
        "dask_wall_s": dask,
        "local_overhead_ms_per_task": 1e3 * (local[n_large] - local[n_small]) / (n_large - n_small),
        "dask_overhead_ms_per_task": 1e3 * (dask[n_large] - dask[n_small]) / (n_large - n_small),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=40, help="eigenvalue problems in the CPU-bound sweep")
    parser.add_argument("--N", type=int, default=1500, help="their size")
    parser.add_argument("--tiny", type=int, default=200, help="extra empty tasks for the overhead slope")
    parser.add_argument("--repeat", type=int, default=3, help="overhead timings: best of this many runs")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        scratch = Path(tmp)
        cpu = cpu_bound(args.tasks, args.N, scratch)
        print(
            f"CPU-bound: {cpu['tasks']} x eigvalsh(N={cpu['N']}), "
            f"{cpu['mean_task_s_1_worker']:.2f} s per task\n"
            f"  wall (pool start-up included): 1 worker {cpu['wall_s_1_worker']:.1f} s, "
            f"2 workers {cpu['wall_s_2_workers']:.1f} s, speedup {cpu['speedup']:.2f}x (goal >= 1.7x)\n"
            f"  first start to last end:       1 worker {cpu['busy_s_1_worker']:.1f} s, "
            f"2 workers {cpu['busy_s_2_workers']:.1f} s, speedup {cpu['speedup_busy']:.2f}x\n"
            f"  CPU seconds per task:          1 worker {cpu['mean_task_cpu_s_1_worker']:.2f}, "
            f"2 workers {cpu['mean_task_cpu_s_2_workers']:.2f}; cores used on average: "
            f"{cpu['cores_used_1_worker']:.2f} and {cpu['cores_used_2_workers']:.2f} "
            "(below 1 and 2: the machine was shared)"
        )
        over = overhead(20, 20 + args.tiny, scratch, args.repeat)
        print(
            f"Per-task overhead (empty tasks, slope over {args.tiny} tasks, SQLite write included): "
            f"local processes {over['local_overhead_ms_per_task']:.2f} ms, "
            f"Dask LocalCluster {over['dask_overhead_ms_per_task']:.2f} ms"
        )
    if args.json:
        args.json.write_text(json.dumps({"cpu_bound": cpu, "overhead": over}, indent=2))


if __name__ == "__main__":
    main()
