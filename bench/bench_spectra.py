"""Top-k eigenvalues of a dense symmetric matrix: rmtlib.top_eigvalsh against numpy.linalg.eigvalsh.

For each N, one deformed Wigner matrix (bulk mu_sc(1) + Uniform[-1, 1] plus five
outliers) is solved by ``numpy.linalg.eigvalsh`` (the baseline, timed before and
after the candidates, best of the two) and by ``top_eigvalsh`` with each method
for each k, side by side in one process (``--outliers 0``: the same bulk without
outliers). Prints a markdown table: wall and CPU time, speed-ups over the
baseline, the largest error relative to max|eigenvalue|, and the peak memory
numpy allocated during the call (tracemalloc; the input matrix excluded). On a
shared machine, run with ``OPENBLAS_NUM_THREADS=1`` and read the CPU columns.

    python bench/bench_spectra.py [--sizes 1000 2000 4000 8000] [--ks 1 8 32] [--outliers 0]
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from functools import partial

import numpy as np

from rmtlib.samplers import deformed_wigner
from rmtlib.spectra import top_eigvalsh


def timed(fun):
    """(wall s, CPU s, peak MiB allocated through numpy, result) of one call."""
    tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    result = fun()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, cpu, peak, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000, 8000])
    parser.add_argument("--ks", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--outliers", type=int, default=5, choices=[0, 5], help="0: no outliers")
    parser.add_argument("--methods", nargs="+", default=["lanczos", "shift_invert", "lapack", "auto"])
    args = parser.parse_args(argv)
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"cores: {os.cpu_count()}, OPENBLAS_NUM_THREADS: {threads}, load: {os.getloadavg()[0]:.1f}\n")
    print(
        "| N | k | method | wall s | CPU s | speed-up (wall) | speed-up (CPU) | max rel. error | peak MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for N in args.sizes:
        rng = np.random.default_rng(N)
        outliers = [3.0, 3.5, 4.0, -3.0, -4.0][: args.outliers]
        spectrum = np.r_[np.linspace(-1.0, 1.0, N - len(outliers)), outliers]
        H = deformed_wigner(spectrum, rng=rng)
        base_wall, base_cpu, base_peak, ref = timed(partial(np.linalg.eigvalsh, H))
        rows = []
        for k in args.ks:
            for method in args.methods:
                seconds, cpu, peak, values = timed(partial(top_eigvalsh, H, k, method=method, check=False))
                error = np.abs(values - ref[-k:]).max() / np.abs(ref).max()
                rows.append((k, method, seconds, cpu, peak, error))
        again_wall, again_cpu = timed(partial(np.linalg.eigvalsh, H))[:2]
        base_wall, base_cpu = min(base_wall, again_wall), min(base_cpu, again_cpu)
        print(f"| {N} | all | numpy eigvalsh | {base_wall:.2f} | {base_cpu:.2f} | 1.0 | 1.0 | 0 ", end="")
        print(f"| {base_peak:.0f} |")
        for k, method, seconds, cpu, peak, error in rows:
            print(
                f"| {N} | {k} | {method} | {seconds:.2f} | {cpu:.2f} | {base_wall / seconds:.1f} "
                f"| {base_cpu / cpu:.1f} | {error:.1e} | {peak:.0f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
