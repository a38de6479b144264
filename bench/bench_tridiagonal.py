"""Semicircle histogram of a GOE-class spectrum: tridiagonal Sturm counts against dense and scikit-rmt.

Each case runs in its own Python process, which reports the wall and CPU time of
the work and its peak memory (growth of the resident set, ``ru_maxrss``, over the process
after its imports):

* ``rmtlib``: ``tridiagonal_histogram(N, 200)`` (sampling included);
* ``dense``: ``wigner(N)``, ``numpy.linalg.eigvalsh`` and ``numpy.histogram``;
* ``skrmt``: scikit-rmt's ``GaussianEnsemble(beta=1, n=N, tridiagonal_form=True)``
  and ``eigval_hist`` (it builds the tridiagonal matrix densely, so N = 100,000 would
  need 80 GB); ``skrmt-sturm``: its Sturm-count routine alone on our sampled
  diagonals, which reaches N = 100,000. scikit-rmt pins numpy 1.x, so it lives in
  its own environment (default ``bench/.venv-skrmt``: ``pip install scikit-rmt``).

    python bench/bench_tridiagonal.py [--skrmt-python bench/.venv-skrmt/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

PRELUDE = """
import json, resource, time
import numpy as np
def report(seconds, counts):
    cpu = time.process_time() - CPU
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - BASE
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mib": peak, "total": int(np.sum(counts))}))
"""

# Each case: (setup, work). The setup (imports, inputs) is not timed; the work must set
# ``counts``. ``bench/run_all.py`` times the same work in its own worker processes.
CASES = {
    "rmtlib": (
        "from rmtlib.tridiagonal import tridiagonal_histogram",
        "counts, edges = tridiagonal_histogram(N, BINS, rng=np.random.default_rng(0))",
    ),
    "dense": (
        "from rmtlib.samplers import wigner",
        "lam = np.linalg.eigvalsh(wigner(N, rng=np.random.default_rng(0)))\n"
        "counts, edges = np.histogram(lam, BINS, range=(-2.1, 2.1))",
    ),
    "skrmt": (
        "from skrmt.ensemble import GaussianEnsemble",
        "np.random.seed(0)  # scikit-rmt samples from numpy's global state\n"
        "ens = GaussianEnsemble(beta=1, n=N, tridiagonal_form=True)\n"
        "counts, edges = ens.eigval_hist(bins=BINS, interval=(-2.1, 2.1), normalize=True)",
    ),
    "skrmt-sturm": (
        "from skrmt.ensemble.tridiagonal_utils import tridiag_eigval_neg\n"
        "rng = np.random.default_rng(0)\n"
        "d = rng.standard_normal(N) * np.sqrt(2.0 / N)\n"
        "e = np.sqrt(rng.chisquare(np.arange(N - 1, 0, -1))) / np.sqrt(N)",
        "edges = np.linspace(-2.1, 2.1, BINS + 1)\n"
        "below = np.array([tridiag_eigval_neg(d - x, e) for x in edges])\n"
        "counts = np.diff(below)",
    ),
}


def run_case(python: str, case: str, N: int, bins: int, timeout: float) -> dict:
    setup, work = CASES[case]
    code = (
        PRELUDE
        + f"N, BINS = {N}, {bins}\n{setup}\n"
        + "BASE = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        + f"t, CPU = time.perf_counter(), time.process_time()\n{work}\n"
        + "report(time.perf_counter() - t, counts)\n"
    )
    try:
        out = subprocess.run(
            [python, "-c", code], capture_output=True, text=True, timeout=timeout, check=True
        ).stdout
    except subprocess.TimeoutExpired:
        nan = float("nan")
        return {"seconds": nan, "cpu": nan, "peak_mib": nan, "total": 0, "note": f"> {timeout:.0f} s"}
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bins", type=int, default=200)
    parser.add_argument("--skrmt-python", default=str(HERE / ".venv-skrmt" / "bin" / "python"))
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    plan = [
        ("rmtlib", 100_000, sys.executable),
        ("skrmt-sturm", 100_000, args.skrmt_python),
        ("rmtlib", 10_000, sys.executable),
        ("skrmt", 10_000, args.skrmt_python),
        ("rmtlib", 4_000, sys.executable),
        ("dense", 4_000, sys.executable),
    ]
    have_skrmt = Path(args.skrmt_python).exists()
    print(f"cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.1f}, bins: {args.bins}\n")
    print("| case | N | wall s | CPU s | peak MiB | counted |")
    print("|---|---|---|---|---|---|")
    for case, N, python in plan:
        if case.startswith("skrmt") and not have_skrmt:
            print(f"| {case} | {N} | (no scikit-rmt environment at {args.skrmt_python}) | | | |")
            continue
        r = run_case(python, case, N, args.bins, args.timeout)
        note = r.get("note", "")
        seconds, cpu, peak = r["seconds"], r["cpu"], r["peak_mib"]
        print(f"| {case} | {N} | {seconds:.3f} {note} | {cpu:.3f} | {peak:.0f} | {r['total']} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
