"""GPU check for the optional backend of ``rmtlib.dense_eigvalsh``.

On a CUDA machine with torch or cupy installed: checks the float64 eigenvalues
of a Wigner matrix against numpy/LAPACK (relative error <= 1e-10, at the sizes
listed in ``--check-sizes``) and times the GPU solve at N in {8192, 16384, 32768}.
Prints a short markdown table. Without a GPU it says so and exits 0.

    python bench/gpu_check.py [--sizes 8192 16384 32768] [--check-sizes 8192]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rmtlib import available_backends, dense_eigvalsh


def wigner(n: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).standard_normal((n, n))
    return (a + a.T) / np.sqrt(2 * n)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8192, 16384, 32768])
    parser.add_argument("--check-sizes", type=int, nargs="*", default=[8192])
    args = parser.parse_args(argv)
    gpus = [b for b in available_backends() if b != "numpy"]
    if not gpus:
        print("no CUDA backend available (torch or cupy with a GPU); nothing to check")
        return 0
    gpu = gpus[0]
    print("| N | backend | GPU s | CPU s | max rel. error |\n|---|---|---|---|---|")
    worst = 0.0
    for n in args.sizes:
        H = wigner(n, seed=n)
        dense_eigvalsh(H[:256, :256], backend=gpu, check=False)  # warm-up: context, kernels
        t0 = time.perf_counter()
        ev_gpu = dense_eigvalsh(H, backend=gpu, check=False)
        t_gpu = time.perf_counter() - t0
        t_cpu, err = float("nan"), float("nan")
        if n in args.check_sizes:
            t0 = time.perf_counter()
            ev_cpu = np.linalg.eigvalsh(H)
            t_cpu = time.perf_counter() - t0
            err = float(np.max(np.abs(ev_gpu - ev_cpu)) / np.max(np.abs(ev_cpu)))
            worst = max(worst, err)
        print(f"| {n} | {gpu} | {t_gpu:.2f} | {t_cpu:.2f} | {err:.2e} |", flush=True)
    if worst > 1e-10:
        print(f"FAIL: relative error {worst:.2e} > 1e-10")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
