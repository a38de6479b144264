"""Run every benchmark side by side with its peer and write ``bench/RESULTS.md``.

    python bench/run_all.py [--quick] [--only GROUP ...] [--keep] [--output PATH]

Each comparison starts two worker processes (``bench/_worker.py``), one for rmtlib and
one for the peer (in the peer's own environment when it pins other versions: freealg in
``bench/.venv-freealg``, scikit-rmt in ``bench/.venv-skrmt``, both created with pip when
missing). Both build their inputs first (not timed), then the runner times one call on
each side in turn, ours then peer, for up to ``--repeats`` pairs while the comparison's
time budget lasts (at least one pair), and reports the medians and their ratio
(peer / ours: above 1, rmtlib is faster). Workers run with one BLAS thread each. Peak
memory is the growth of the worker's resident set during the timed calls (Linux
``VmHWM``, reset after the setup), so the inputs are not counted; for the sweep it is
the largest ``ru_maxrss`` of the pool processes, for the book builds that of the largest
process of the build. Book builds run once each (``python -m rmtlib book``). Budgets are
reported as PASS/MISS next to the figure, not asserted.

``--quick``: N up to 4000, three pairs per comparison, smaller sweep, no ``full`` book.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GROUPS = ("topk", "freeconv", "rectangular", "threshold", "atoms", "tridiag", "sweep", "book", "book-full")
PEERS = {"freealg": ("freealg", HERE / ".venv-freealg"), "skrmt": ("scikit-rmt", HERE / ".venv-skrmt")}
SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


# ---------------------------------------------------------------- table logic (tested)


@dataclass
class Row:
    """One line of the results table; ``ratio`` is ``peer_s / ours_s`` (> 1: rmtlib faster)."""

    case: str
    size: str
    ours_s: float
    peer: str = ""
    peer_s: float | None = None
    memory_mib: str = ""
    budget: str = ""
    passed: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return ratio(self.peer_s, self.ours_s)


def ratio(peer_s: float | None, ours_s: float | None) -> float | None:
    """``peer_s / ours_s``, or None when either is missing, not finite or ``ours_s <= 0``."""
    if peer_s is None or ours_s is None or not (math.isfinite(peer_s) and math.isfinite(ours_s)):
        return None
    return peer_s / ours_s if ours_s > 0 else None


def fmt_seconds(seconds: float | None) -> str:
    """Seconds: ``1.50e-03`` below 10 ms, three decimals below 10 s, one above; ``—`` when missing."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    if abs(seconds) < 0.01:
        return f"{seconds:.2e}"
    return f"{seconds:.3f}" if abs(seconds) < 10 else f"{seconds:.1f}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


def verdict(passed: bool | None) -> str:
    return "" if passed is None else ("PASS" if passed else "MISS")


def render_table(rows: list[Row]) -> str:
    """The markdown results table, one line per row, budgets as ``PASS``/``MISS``."""
    lines = [
        "| case | size | ours (s) | peer | peer (s) | ratio | peak memory (MiB) | budget | note |",
        "|---|---|---:|---|---:|---:|---|---|---|",
    ]
    for r in rows:
        budget = f"{verdict(r.passed)} ({r.budget})" if r.budget else ""
        cells = [r.case, r.size, fmt_seconds(r.ours_s), r.peer or "—", fmt_seconds(r.peer_s),
                 fmt_ratio(r.ratio), r.memory_mib or "—", budget, r.note]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def render_results(header: dict[str, str], rows: list[Row], notes: list[str]) -> str:
    """The whole ``RESULTS.md``: header (machine, date, versions), table, budget summary, notes."""
    out = ["# Benchmark results", "", "Written by `python bench/run_all.py`; do not edit by hand.", ""]
    out += [f"* **{key}**: {value}" for key, value in header.items()]
    out += ["", render_table(rows), ""]
    judged = [r for r in rows if r.passed is not None]
    missed = [f"{r.case} ({r.size})" for r in judged if not r.passed]
    out.append(f"Budgets: {len(judged) - len(missed)} of {len(judged)} PASS"
               + (f"; MISS: {', '.join(missed)}." if missed else "."))
    out += [""] + [f"* {n}" for n in notes]
    return "\n".join(out).rstrip() + "\n"


def merge_groups(previous: dict, current: dict) -> tuple[dict, list[str]]:
    """The groups of this run, and of ``previous`` those not rerun, in the order of ``GROUPS``.

    Each group is ``{"run": "<date> (<mode>)", "rows": [...]}``. Also returns one note per kept
    group saying from which run its rows come.
    """
    merged = {name: current.get(name) or previous[name]
              for name in GROUPS if name in current or name in previous}
    kept = [f"Rows of `{name}` are kept from the run of {group['run']}."
            for name, group in merged.items() if name not in current]
    return merged, kept


def medians(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    """Medians of the ours and peer times of alternating pairs."""
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


# ---------------------------------------------------------------- workers


class Worker:
    """A ``_worker.py`` process under ``python``; ``setup`` defines ``call()``."""

    def __init__(self, python: str | Path, setup: str):
        self.log = tempfile.TemporaryFile(mode="w+")
        full_env = {**os.environ, **SINGLE_THREAD, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}
        self.proc = subprocess.Popen([str(python), str(HERE / "_worker.py")], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True, env=full_env,
                                     cwd=ROOT)
        self._ask({"setup": textwrap.dedent(setup)})

    def _ask(self, request: dict) -> dict:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            self.log.seek(0)
            raise RuntimeError(f"benchmark worker died:\n{self.log.read()[-3000:]}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def time(self) -> float:
        return self._ask({"cmd": "time"})["wall"]

    def summary(self):
        return self._ask({"cmd": "summary"})["summary"]

    def memory(self) -> dict:
        return self._ask({"cmd": "memory"})

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self.log.close()


@dataclass
class Comparison:
    pairs: list[tuple[float, float]]
    ours_summary: object
    peer_summary: object
    ours_memory: dict
    peer_memory: dict
    warmup: tuple[float, float] | None = None
    ours_s: float = field(init=False)
    peer_s: float = field(init=False)

    def __post_init__(self):
        self.ours_s, self.peer_s = medians(self.pairs)

    def memory(self, key: str = "peak_mib") -> str:
        return f"{self.ours_memory[key]:.0f} / {self.peer_memory[key]:.0f}"


def compare(ours: Worker, peer: Worker, *, repeats: int, budget_s: float, warmup: bool = False) -> Comparison:
    """Alternate one timed call of each side for up to ``repeats`` pairs within ``budget_s``."""
    first = (ours.time(), peer.time()) if warmup else None
    pairs, start = [], time.perf_counter()
    while len(pairs) < repeats and (not pairs or time.perf_counter() - start < budget_s):
        pairs.append((ours.time(), peer.time()))
    return Comparison(pairs, ours.summary(), peer.summary(), ours.memory(), peer.memory(), first)


def run_pair(ours_setup: str, peer_setup: str, *, peer_python=None, **kwargs) -> Comparison:
    """Start both workers (the peer's under ``peer_python``), :func:`compare` them, stop them."""
    ours = Worker(sys.executable, ours_setup)
    try:
        peer = Worker(peer_python or sys.executable, peer_setup)
        try:
            return compare(ours, peer, **kwargs)
        finally:
            peer.close()
    finally:
        ours.close()


def peer_python(name: str, log) -> Path | None:
    """The interpreter of the peer's venv, created with pip when missing; None if that fails."""
    package, venv = PEERS[name]
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"[bench] creating {venv.relative_to(ROOT)} and installing {package}")
        try:
            subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", package], check=True)
        except (subprocess.CalledProcessError, OSError) as exc:
            log(f"[bench] could not install {package}: {exc}")
            return None
    return python


def peer_version(python: Path | None, package: str) -> str:
    if python is None:
        return "not installed"
    code = ("import importlib.metadata as m, numpy; "
            f"print(m.version({package!r}), 'with numpy', numpy.__version__)")
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


# ---------------------------------------------------------------- cases


def bench_topk(sizes, ks, repeats, budget_s, log) -> list[Row]:
    rows = []
    for N in sizes:
        build = f"""
            import numpy as np
            from rmtlib.samplers import deformed_wigner
            N = {N}
            spectrum = np.r_[np.linspace(-1.0, 1.0, N - 5), [3.0, 3.5, 4.0, -3.0, -4.0]]
            H = deformed_wigner(spectrum, rng=np.random.default_rng(N))
        """
        for k in ks:
            ours = build + f"""
            from rmtlib.spectra import top_eigvalsh
            def call():
                return top_eigvalsh(H, {k})
            def summary(values):
                return [float(v) for v in values]
            """
            peer = build + f"""
            def call():
                return np.linalg.eigvalsh(H)
            def summary(values):
                return [float(v) for v in values[-{k}:]]
            """
            log(f"[bench] top-k N={N} k={k}")
            c = run_pair(ours, peer, repeats=repeats, budget_s=budget_s)
            error = max(abs(a - b) for a, b in zip(c.ours_summary, c.peer_summary, strict=True))
            error /= max(abs(v) for v in c.peer_summary)
            row = Row("top-k eigenvalues (`top_eigvalsh`, auto)", f"N={N}, k={k}", c.ours_s,
                      "numpy.linalg.eigvalsh", c.peer_s, c.memory(),
                      note=f"max rel. error {error:.1e}; {len(c.pairs)} pairs")
            if N == 4000 and k <= 32:
                row.budget, row.passed = ">= 2x", (row.ratio or 0) >= 2
            rows.append(row)
    return rows


FREEALG_SETUP = """
    import numpy as np
    from freealg.distributions import DeformedWigner
    atoms, weights, sigma, x = {atoms}, {weights}, {sigma}, np.array({x})
    def call():
        law = DeformedWigner(np.array(atoms), np.array(weights), sigma=sigma)
        return law.density(x)
    def summary(rho):
        return np.asarray(rho)[{idx}].tolist()
"""


def bench_freeconv(quick, repeats, budget_s, log) -> list[Row]:
    import numpy as np
    from bench_free_convolution import mpmath_density

    from rmtlib import DiscreteLaw, FreeConvolutionSemicircle

    rows = []
    rng = np.random.default_rng(2026)
    atoms, weights, sigma = np.sort(rng.normal(0, 1.5, 20)), rng.dirichlet(np.ones(20)), 0.5
    law = FreeConvolutionSemicircle(DiscreteLaw(atoms, weights), sigma=sigma)
    x = np.linspace(law.support()[0][0] - 0.3, law.support()[-1][1] + 0.3, 2000)
    idx = np.arange(0, x.size, 40 if quick else 10)
    log(f"[bench] free convolution, 20 atoms: mpmath reference at {idx.size} points")
    ref = mpmath_density(atoms, weights, sigma, x[idx])
    ours = f"""
        import numpy as np
        from rmtlib import DiscreteLaw, FreeConvolutionSemicircle
        atoms, weights, sigma = np.array({atoms.tolist()}), np.array({weights.tolist()}), {sigma}
        x = np.array({x.tolist()})
        def call():
            return FreeConvolutionSemicircle(DiscreteLaw(atoms, weights), sigma=sigma).pdf(x)
        def summary(rho):
            return rho[{idx.tolist()}].tolist()
    """
    python = peer_python("freealg", log)
    if python is None:
        rows.append(Row("free-convolution density", "20 atoms, 2000 points", float("nan"),
                        "freealg", None, note="freealg could not be installed"))
    else:
        log("[bench] free convolution, 20 atoms: rmtlib vs freealg")
        peer = FREEALG_SETUP.format(atoms=atoms.tolist(), weights=weights.tolist(), sigma=sigma,
                                    x=x.tolist(), idx=idx.tolist())
        c = run_pair(ours, peer, peer_python=python, repeats=repeats, budget_s=budget_s, warmup=True)
        err_ours = float(np.max(np.abs(np.array(c.ours_summary) - ref)))
        err_peer = float(np.max(np.abs(np.array(c.peer_summary) - ref)))
        row = Row("free-convolution density (mu_sc ⊞ nu)", "20 atoms, 2000 points", c.ours_s,
                  "freealg DeformedWigner.density (eta 1e-3)", c.peer_s, c.memory(),
                  note=(f"max error vs {idx.size}-point mpmath reference: ours {err_ours:.1e}, "
                        f"freealg {err_peer:.1e}; freealg first call (numba) {c.warmup[1]:.1f} s"))
        row.budget = ">= 10x, error <= peer's"
        row.passed = (row.ratio or 0) >= 10 and err_ours <= err_peer
        rows.append(row)

    big_setup = """
        import numpy as np
        from rmtlib import DiscreteLaw, FreeConvolutionSemicircle
        rng = np.random.default_rng(7)
        atoms = rng.standard_normal(10_000)
        weights = np.full(atoms.size, 1.0 / atoms.size)
        sigma = 0.5
        law = FreeConvolutionSemicircle(DiscreteLaw(atoms), sigma=sigma)
        x = np.linspace(law.support()[0][0] - 0.2, law.support()[-1][1] + 0.2, 2000)
        def summary(rho):
            return np.asarray(rho).tolist()
    """
    ours_big = big_setup + """
        def call():
            return FreeConvolutionSemicircle(DiscreteLaw(atoms), sigma=sigma).pdf(x)
    """
    peer_big = big_setup + """
        from bench_free_convolution import plain_newton_density
        def call():
            return plain_newton_density(atoms, weights, sigma, x)
    """
    log("[bench] free convolution, 10,000 atoms: rmtlib vs plain Newton")
    c = run_pair(ours_big, peer_big, repeats=repeats, budget_s=budget_s)
    diff = float(np.max(np.abs(np.array(c.ours_summary) - np.array(c.peer_summary))))
    row = Row("free-convolution density (mu_sc ⊞ nu)", "10,000 atoms, 2000 points", c.ours_s,
              "plain vectorized Newton (eta 1e-9)", c.peer_s, c.memory(),
              note=f"max abs. difference {diff:.1e} (the plain iteration misses near edges)")
    row.budget, row.passed = "ours < 2 s", c.ours_s < 2
    rows.append(row)
    return rows


def bench_rectangular(repeats, budget_s, log) -> list[Row]:
    """The rectangular deterministic equivalent: every singular value and a density (no peer)."""
    setup = """
        import numpy as np
        from rmtlib.outliers import rectangular_deterministic_equivalent
        rng = np.random.default_rng(7)
        n = 10_000
        s = np.r_[np.sort(0.5 * rng.pareto(4.0, n - 20)), np.linspace(3.0, 6.0, 20)]
        def call():
            de = rectangular_deterministic_equivalent(s, 1.0, (n, 2 * n))
            x = np.linspace(0.0, de.support[-1][1] + 0.2, 2000)
            return de.singular_values, de.density(x)
        def summary(out):
            return [float(out[0][-1]), float(np.sum(out[1]))]
    """
    case = ("rectangular deterministic equivalent (information-plus-noise law)",
            "10,000 singular values + 2000 density points", setup, 2.0,
            "power-law bulk and 20 outliers, N x 2N")
    return budget_rows([case], repeats, budget_s, log)


ATOM_CASES = [
    # (case, size, setup, budget in seconds, note)
    ("free convolution of atoms over 16 decades (`FreeConvolutionSemicircle`), support and every quantile",
     "4,000 atoms, sigma = 1", """
        import numpy as np
        from rmtlib import DiscreteLaw, FreeConvolutionSemicircle
        atoms = np.logspace(-8, 8, 4000)
        def call():
            return FreeConvolutionSemicircle(DiscreteLaw(atoms), 1.0).quantiles(4000)
        def summary(out):
            return float(out[-1])
     """, 10.0, "1817 support components; under the work limit (gaps x atoms <= 1e7)"),
    ("free convolution of atoms over 16 decades, refused above the work limit",
     "100,000 atoms, sigma = 1", """
        import numpy as np
        from rmtlib import DiscreteLaw, FreeConvolutionSemicircle
        atoms = np.logspace(-8, 8, 100_000)
        def call():
            try:
                FreeConvolutionSemicircle(DiscreteLaw(atoms), 1.0)
            except ValueError as exc:
                return str(exc)
            return "accepted"
        def summary(out):
            return out[:40]
     """, 1.0, "one-line refusal: 41,342 gaps x 100,000 atoms"),
    ("square deterministic equivalent (`deterministic_equivalent(...).eigenvalues`)",
     "100,000 standard-normal atoms, sigma = 1", """
        import numpy as np
        from rmtlib.outliers import deterministic_equivalent
        s = np.random.default_rng(0).standard_normal(100_000)
        def call():
            return deterministic_equivalent(s, 1.0).eigenvalues
        def summary(out):
            return [float(out[0]), float(out[-1])]
     """, 30.0, "the bulk read off a 2048-point curve"),
]


THRESHOLD_CASES = [
    # (case, size, setup, budget in seconds, note)
    ("group separation threshold (`group_separation_threshold`), rectangular", "one threshold, gamma = 2",
     "from rmtlib import group_separation_threshold\n"
     "def call():\n"
     "    return group_separation_threshold(0.1, sigma=1.0, model='rectangular', gamma=2.0)\n"
     "def summary(out):\n    return float(out)\n",
     0.05, "kappa = 0.1, zero bulk"),
    ("phase diagram (`group_threshold.phase_labels`), rectangular", "100 kappa x 100 strengths",
     "import numpy as np\nfrom rmtlib.experiments.group_threshold import phase_labels\n"
     "def call():\n"
     "    return phase_labels(np.geomspace(1e-4, 0.5, 100), np.linspace(0.5, 2.5, 100), gamma=2.0)\n"
     "def summary(out):\n    return int(out.sum())\n",
     2.0, "one threshold per kappa, gamma = 2, zero bulk"),
]


def budget_rows(cases, repeats, budget_s, log) -> list[Row]:
    """Time each (case, size, setup, budget, note) in a worker of its own against its budget (no peer)."""
    rows = []
    for case, size, setup, budget, note in cases:
        log(f"[bench] {case}, {size}")
        worker = Worker(sys.executable, setup)
        try:
            times, start = [], time.perf_counter()
            while len(times) < repeats and (not times or time.perf_counter() - start < budget_s):
                times.append(worker.time())
            mem = worker.memory()
        finally:
            worker.close()
        row = Row(case, size, statistics.median(times), memory_mib=f"{mem['peak_mib']:.0f}",
                  note=f"{note}; {len(times)} runs")
        row.budget, row.passed = f"ours <= {budget:g} s", row.ours_s <= budget
        rows.append(row)
    return rows


def _tridiag_setup(case: str, N: int, bins: int) -> str:
    """Worker setup for one ``bench_tridiagonal`` case: its setup, then its work as ``call()``."""
    from bench_tridiagonal import CASES

    setup, work = CASES[case]
    body = textwrap.indent(work, "    ")
    return (f"import numpy as np\nN, BINS = {N}, {bins}\n{setup}\n"
            f"def call():\n{body}\n    return counts\n"
            "def summary(counts):\n    return int(np.sum(counts))\n")


def bench_tridiag(repeats, budget_s, log, bins=200) -> list[Row]:
    rows = []
    skrmt = peer_python("skrmt", log)
    plan = [(100_000, "skrmt-sturm", "scikit-rmt Sturm counts (`tridiag_eigval_neg`) alone", skrmt),
            (10_000, "skrmt", "scikit-rmt GaussianEnsemble(tridiagonal_form).eigval_hist", skrmt),
            (4_000, "dense", "dense `wigner` + numpy.linalg.eigvalsh + histogram", sys.executable)]
    for N, case, label, python in plan:
        size = f"N={N:,}, {bins} bins"
        if python is None:
            rows.append(Row("semicircle histogram (`tridiagonal_histogram`)", size, float("nan"), label,
                            None, note="scikit-rmt could not be installed"))
            continue
        log(f"[bench] tridiagonal histogram N={N} vs {case}")
        c = run_pair(_tridiag_setup("rmtlib", N, bins), _tridiag_setup(case, N, bins), peer_python=python,
                     repeats=repeats, budget_s=budget_s, warmup=case.startswith("skrmt"))
        row = Row("semicircle histogram (`tridiagonal_histogram`)", size, c.ours_s, label, c.peer_s,
                  c.memory(),
                  note=f"eigenvalues counted: ours {c.ours_summary}, peer {c.peer_summary}; "
                  f"{len(c.pairs)} pairs")
        if N == 100_000:
            row.budget, row.passed = "ours <= 1 s and faster", c.ours_s <= 1 and (row.ratio or 0) > 1
        rows.append(row)
    return rows


def bench_sweep(tasks, N, tiny, repeats, budget_s, log) -> list[Row]:
    setup = f"""
        import tempfile, itertools
        from pathlib import Path
        from bench_sweep import timed_sweep
        scratch = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
        config = {{"name": "bench_eigvalsh", "experiment": "spiked_top_eigenvalue",
                   "seed": 1, "fixed": {{"N": {N}, "theta": 3.0}}, "replicates": {tasks}}}
        counter = itertools.count()
        def call():
            return timed_sweep(config, scratch / f"run{{next(counter)}}.sqlite", workers=WORKERS)
    """
    log(f"[bench] sweep {tasks} x eigvalsh(N={N}): 2 vs 1 workers")
    c = run_pair("WORKERS = 2\n" + textwrap.dedent(setup), "WORKERS = 1\n" + textwrap.dedent(setup),
                 repeats=repeats, budget_s=budget_s)
    row = Row("sweep, CPU-bound (`run_sweep`, 2 workers)", f"{tasks} x eigvalsh(N={N})", c.ours_s,
              "the same sweep on 1 worker", c.peer_s, c.memory("children_mib"),
              note=f"wall incl. pool start-up; {len(c.pairs)} pairs; memory: largest pool process")
    row.budget, row.passed = ">= 1.7x", (row.ratio or 0) >= 1.7
    rows = [row]
    log(f"[bench] sweep per-task overhead, local vs Dask ({tiny} empty tasks)")
    code = f"""
        import json, tempfile
        from pathlib import Path
        from bench_sweep import overhead
        with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
            print(json.dumps(overhead(20, {20 + tiny}, Path(tmp), {repeats})))
    """
    env = {**os.environ, **SINGLE_THREAD, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=True)
    over = json.loads(out.stdout.strip().splitlines()[-1])
    rows.append(Row("sweep per-task overhead (empty tasks, SQLite write incl.)", f"slope over {tiny} tasks",
                    over["local_overhead_ms_per_task"] / 1e3, "Dask LocalCluster, 2 workers",
                    over["dask_overhead_ms_per_task"] / 1e3,
                    note=f"local processes vs Dask; best of {repeats} runs per point, not alternated"))
    return rows


def time_book(profile: str, clean: bool, log) -> tuple[float, float, int]:
    """Wall seconds, peak MiB of the largest process and exit code of one ``rmtlib book`` build."""
    if clean:
        shutil.rmtree(ROOT / "_build" / "executed" / profile, ignore_errors=True)
    code = textwrap.dedent(f"""
        import json, resource, subprocess, sys, time
        t = time.perf_counter()
        rc = subprocess.call([sys.executable, "-m", "rmtlib", "book", "--profile", {profile!r}],
                             stdout=sys.stderr)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps({{"seconds": time.perf_counter() - t, "peak_mib": peak, "rc": rc}}))
    """)
    with tempfile.TemporaryFile(mode="w+") as build_log:
        out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=build_log,
                             text=True, cwd=ROOT)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if result["rc"] != 0:
            build_log.seek(0)
            log(build_log.read()[-3000:])
    return result["seconds"], result["peak_mib"], result["rc"]


BOOK_BUILDS = {
    "book": [("ci", True, "book build, `ci` profile, from clean", None),
             ("ci", False, "book rebuild, nothing changed (`ci`)", 60.0)],
    "book-full": [("full", True, "book build, `full` profile, from clean", 900.0)],
}


def bench_book(group: str, log) -> list[Row]:
    """The builds of ``BOOK_BUILDS[group]``, each once: wall time, largest process, budget."""
    rows = []
    for profile, clean, label, budget in BOOK_BUILDS[group]:
        log(f"[bench] {label}")
        seconds, peak, rc = time_book(profile, clean, log)
        row = Row(label, f"profile {profile}", seconds, memory_mib=f"{peak:.0f}",
                  note=f"build failed (exit code {rc})" if rc else "one run; largest process")
        if budget is not None:
            row.budget = f"<= {budget:.0f} s"
            row.passed = rc == 0 and seconds <= budget
        rows.append(row)
    return rows


# ---------------------------------------------------------------- header and main


def machine_header(started: _dt.datetime, load: tuple[float, float, float], quick: bool) -> dict[str, str]:
    import numpy
    import scipy

    import rmtlib

    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    peers = {name: peer_version(PEERS[name][1] / "bin" / "python"
                                if (PEERS[name][1] / "bin" / "python").exists() else None, PEERS[name][0])
             for name in PEERS}
    return {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "mode": "--quick" if quick else "full",
        "machine": f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}",
        "load average at start": " / ".join(f"{v:.2f}" for v in load) + " (1 / 5 / 15 min)",
        "versions": (f"python {platform.python_version()}, numpy {numpy.__version__}, "
                     f"scipy {scipy.__version__}, rmtlib {rmtlib.__version__}; "
                     f"freealg {peers['freealg']}; scikit-rmt {peers['skrmt']}"),
        "threads": "benchmark workers: one BLAS thread each (OPENBLAS/OMP/MKL_NUM_THREADS=1); "
                   "book builds: the pipeline's own settings",
    }


NOTES = [
    "ours (s), peer (s): medians over alternating pairs (one call of ours, then one of the peer, in two "
    "long-lived worker processes; inputs built before timing); ratio = peer / ours (above 1: rmtlib faster).",
    "peak memory: 'ours / peer', the growth of each worker's resident set during the timed calls "
    "(Linux VmHWM after a reset, inputs excluded); for the sweep the largest pool process (ru_maxrss); "
    "for the book builds the largest process of the build (ru_maxrss of the finished children).",
    "Budgets are reported, not asserted; the machine may be shared (see the load average).",
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats, no full book")
    parser.add_argument("--only", nargs="+", choices=GROUPS, default=list(GROUPS),
                        help="groups to run (--quick leaves out book-full)")
    parser.add_argument("--repeats", type=int, default=None, help="pairs per comparison (default 5, quick 3)")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md",
                        help="the table; its rows also go to the same name with .json")
    parser.add_argument("--keep", action="store_true",
                        help="keep the rows of the groups not run now from the previous run's .json")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 5)
    budget_s = 30.0 if args.quick else 90.0
    started, load = _dt.datetime.now(_dt.timezone.utc), os.getloadavg()
    sys.path[:0] = [path for path in (str(HERE), str(ROOT)) if path not in sys.path]

    def log(message: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)

    quick = args.quick
    groups = {
        "topk": lambda: bench_topk([1000, 2000, 4000] + ([] if quick else [8000]), [8, 32], repeats,
                                   budget_s, log),
        "freeconv": lambda: bench_freeconv(quick, repeats, budget_s, log),
        "rectangular": lambda: bench_rectangular(repeats, budget_s, log),
        "threshold": lambda: budget_rows(THRESHOLD_CASES, repeats, budget_s, log),
        "atoms": lambda: budget_rows(ATOM_CASES, repeats, budget_s, log),
        "tridiag": lambda: bench_tridiag(repeats, budget_s, log),
        "sweep": lambda: bench_sweep(*((16, 1200, 100) if quick else (40, 1500, 200)), repeats, budget_s,
                                     log),
        "book": lambda: bench_book("book", log),
        "book-full": lambda: bench_book("book-full", log),
    }
    record_path = args.output.with_suffix(".json")
    previous = json.loads(record_path.read_text())["groups"] if args.keep and record_path.exists() else {}
    this_run = f"{started:%Y-%m-%d %H:%M} UTC ({'--quick' if quick else 'full'})"
    results: dict[str, dict] = {}
    selected = [name for name in GROUPS if name in args.only and not (quick and name == "book-full")]
    for done, name in enumerate(selected, start=1):
        try:
            group_rows = groups[name]()
        except Exception as exc:  # one failing group must not lose the others
            log(traceback.format_exc())
            failure = f"failed: {type(exc).__name__}: {str(exc)[:200]}"
            group_rows = [Row(name, "—", float("nan"), note=failure)]
        results[name] = {"run": this_run, "rows": [asdict(r) for r in group_rows]}
        merged, kept = merge_groups(previous, results)
        header = machine_header(started, load, quick)
        minutes = (_dt.datetime.now(_dt.timezone.utc) - started).total_seconds() / 60
        header["total time"] = f"{minutes:.1f} min" + (
            "" if done == len(selected) else f" so far: INCOMPLETE, {done} of {len(selected)} groups done")
        text = render_results(header, [Row(**r) for g in merged.values() for r in g["rows"]], NOTES + kept)
        args.output.write_text(text)
        record_path.write_text(json.dumps({"groups": merged}, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
