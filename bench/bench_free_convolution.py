"""Benchmark: the density of mu_sc(sigma) ⊞ nu on 2,000 points, side by side in one run.

1. nu with 20 atoms: rmtlib's ``FreeConvolutionSemicircle`` against the peer freealg
   (``freealg.distributions.DeformedWigner(t, w, sigma).density``), which pins numpy 1.x
   through numba and therefore runs in its own environment, in a subprocess of this
   script. Accuracy of both against a 30-digit mpmath solve of Pastur's equation.
2. The three-atom law on which freealg reports a wrong density (x = 2.65).
3. nu with 10,000 atoms (an empirical spectrum): rmtlib against a plain vectorized
   Newton iteration for ``f = ∫ dnu(a) / (a - z - sigma^2 f)`` at ``z = x + 1e-9 i``.

Times are the best of three calls after a warm-up (wall clock and process CPU time; the
first freealg call, which includes numba compilation, is reported separately); peak
memory is the ``tracemalloc`` peak of one separate call (numpy allocations included).

Usage::

    python bench/bench_free_convolution.py [--freealg-python bench/.venv-freealg/bin/python] [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import mpmath
import numpy as np

from rmtlib import DiscreteLaw, FreeConvolutionSemicircle

FREEALG_CODE = r"""
import json, sys, time, tracemalloc
import numpy as np
import freealg
from freealg.distributions import DeformedWigner
job = json.load(sys.stdin)
x = np.array(job["x"])
t0 = time.perf_counter()
law = DeformedWigner(np.array(job["atoms"]), np.array(job["weights"]), sigma=job["sigma"])
rho = law.density(x, **job["kwargs"])
first = time.perf_counter() - t0
walls, cpus = [], []
for _ in range(job["repeats"]):
    w0, c0 = time.perf_counter(), time.process_time()
    law = DeformedWigner(np.array(job["atoms"]), np.array(job["weights"]), sigma=job["sigma"])
    rho = law.density(x, **job["kwargs"])
    walls.append(time.perf_counter() - w0)
    cpus.append(time.process_time() - c0)
tracemalloc.start()
law = DeformedWigner(np.array(job["atoms"]), np.array(job["weights"]), sigma=job["sigma"])
law.density(x, **job["kwargs"])
peak = tracemalloc.get_traced_memory()[1]
json.dump({"version": freealg.__version__, "first": first, "wall": min(walls), "cpu": min(cpus),
           "peak_bytes": peak, "density": np.asarray(rho).tolist()}, sys.stdout)
"""


def timed(fn, repeats: int = 3):
    """Best wall and CPU time of ``repeats`` calls after a warm-up, and the tracemalloc peak."""
    result = fn()
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, min(walls), min(cpus), peak


def rmtlib_density(atoms, weights, sigma, x):
    return FreeConvolutionSemicircle(DiscreteLaw(atoms, weights), sigma=sigma).pdf(x)


def freealg_density(python: str, atoms, weights, sigma, x, repeats: int = 3, **kwargs):
    job = {"atoms": list(map(float, atoms)), "weights": list(map(float, weights)), "sigma": sigma,
           "x": list(map(float, x)), "repeats": repeats, "kwargs": kwargs}
    out = subprocess.run([python, "-c", FREEALG_CODE], input=json.dumps(job), capture_output=True,
                         text=True, check=True)
    res = json.loads(out.stdout)
    res["density"] = np.array(res["density"])
    return res


def mpmath_density(atoms, weights, sigma, x, digits: int = 30):
    """Pastur's equation H(omega) = x solved to ``digits`` digits by continuation in Im z."""
    mpmath.mp.dps = digits
    A = [mpmath.mpf(float(a)) for a in atoms]
    W = [mpmath.mpf(float(w)) for w in weights]
    s2 = mpmath.mpf(sigma) ** 2
    out = []
    for xi in x:
        omega = mpmath.mpc(xi, 2.0)
        for eta in (1.0, 0.3, 0.1, 0.03, 0.01, 3e-3, 1e-3, 1e-5, 1e-8, 1e-12, 0.0):
            target = mpmath.mpc(xi, eta)
            omega = mpmath.findroot(
                lambda o, t=target: o + s2 * sum(w / (o - a) for a, w in zip(A, W, strict=True)) - t, omega)
        out.append(float(max(omega.imag, 0)) / (np.pi * sigma**2))
    mpmath.mp.dps = 15
    return np.array(out)


def plain_newton_density(atoms, weights, sigma, x, eta=1e-9, maxiter=100, rows=200):
    """The baseline: Newton for f at z = x + i eta from f = -1/z, all points at once, full sums."""
    z = x + 1j * eta
    f = -1.0 / (z - float(np.dot(weights, atoms)) + 1j * sigma)
    for _ in range(maxiter):
        step = np.empty_like(f)
        for start in range(0, z.size, rows):
            sl = slice(start, start + rows)
            r = 1.0 / (atoms[None, :] - z[sl, None] - sigma**2 * f[sl, None])
            g = r @ weights
            gp = sigma**2 * ((r * r) @ weights)
            step[sl] = (f[sl] - g) / (1 - gp)
        f = f - step
        if np.max(np.abs(step)) < 1e-13:
            break
    return np.maximum(f.imag, 0.0) / np.pi


def row(name, wall, cpu, peak, err=None):
    err_text = "" if err is None else f"{err:10.2e}"
    return f"  {name:<34s}{wall:9.3f}{cpu:9.3f}{peak / 2**20:10.1f}  {err_text}"


HEADER = f"  {'':<34s}{'wall s':>9s}{'cpu s':>9s}{'peak MiB':>10s}  {'max error':>10s}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parent
    parser.add_argument("--freealg-python", default=str(here / ".venv-freealg" / "bin" / "python"))
    parser.add_argument("--quick", action="store_true", help="smaller reference and baseline runs")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(2026)
    have_freealg = Path(args.freealg_python).exists()

    # 1. nu with 20 atoms
    atoms, weights, sigma = np.sort(rng.normal(0, 1.5, 20)), rng.dirichlet(np.ones(20)), 0.5
    law = FreeConvolutionSemicircle(DiscreteLaw(atoms, weights), sigma=sigma)
    lo, hi = law.support()[0][0], law.support()[-1][1]
    x = np.linspace(lo - 0.3, hi + 0.3, 2000)
    ours, wall, cpu, peak = timed(lambda: rmtlib_density(atoms, weights, sigma, x))
    ref_idx = np.arange(0, x.size, 40 if args.quick else 10)
    ref = mpmath_density(atoms, weights, sigma, x[ref_idx])
    print(f"1. nu with 20 atoms, sigma = {sigma}, density on 2,000 points "
          f"({len(law.support())} support intervals); errors vs mpmath at {ref_idx.size} points")
    print(HEADER)
    print(row("rmtlib FreeConvolutionSemicircle", wall, cpu, peak, np.max(np.abs(ours[ref_idx] - ref))))
    if have_freealg:
        for eta in (1e-3, 1e-8):
            fa = freealg_density(args.freealg_python, atoms, weights, sigma, x, eta=eta)
            err = np.max(np.abs(fa["density"][ref_idx] - ref))
            print(row(f"freealg {fa['version']} (eta={eta:g})", fa["wall"], fa["cpu"], fa["peak_bytes"], err))
            if eta == 1e-3:
                ratio = fa["wall"] / wall
                print(f"  freealg first call (numba compilation) {fa['first']:.2f} s; "
                      f"rmtlib is {ratio:.0f}x faster (wall), {fa['cpu'] / cpu:.0f}x (cpu)")
    else:
        print(f"  freealg: no interpreter at {args.freealg_python} (see bench/README.md)")

    # 2. the toolchain example
    atoms3, weights3, sigma3 = np.array([-1.0, 0.5, 2.0]), np.array([0.2, 0.5, 0.3]), 0.7
    law3 = FreeConvolutionSemicircle(DiscreteLaw(atoms3, weights3), sigma=sigma3)
    ref3 = mpmath_density(atoms3, weights3, sigma3, [2.65])[0]
    print(f"\n2. nu = 0.2 d(-1) + 0.5 d(0.5) + 0.3 d(2), sigma = 0.7, density at x = 2.65: "
          f"mpmath {ref3:.6f}, rmtlib {float(law3.pdf(2.65)):.6f}", end="")
    if have_freealg:
        fa3 = freealg_density(args.freealg_python, atoms3, weights3, sigma3, [2.65], repeats=1)
        print(f", freealg {fa3['density'][0]:.6f}")
    else:
        print()
    print(f"   rmtlib support: {[(round(a, 4), round(b, 4)) for a, b in law3.support()]}")

    # 3. nu with 10,000 atoms
    big = rng.standard_normal(10_000)
    weights_big = np.full(big.size, 1.0 / big.size)
    sigma_big = 0.5
    law_big = FreeConvolutionSemicircle(DiscreteLaw(big), sigma=sigma_big)
    xb = np.linspace(law_big.support()[0][0] - 0.2, law_big.support()[-1][1] + 0.2, 2000)
    ours_big, wall_b, cpu_b, peak_b = timed(lambda: rmtlib_density(big, None, sigma_big, xb), repeats=2)
    ref_pts = np.arange(0, xb.size, 400)
    ref_big = mpmath_density(big, weights_big, sigma_big, xb[ref_pts], digits=20)
    print(f"\n3. empirical nu with 10,000 atoms, sigma = {sigma_big}, density on 2,000 points "
          f"({len(law_big.support())} support intervals); errors vs mpmath at {ref_pts.size} points")
    print(HEADER)
    print(row("rmtlib FreeConvolutionSemicircle", wall_b, cpu_b, peak_b,
              np.max(np.abs(ours_big[ref_pts] - ref_big))))
    n_plain = 200 if args.quick else xb.size
    sub = np.linspace(0, xb.size - 1, n_plain).astype(int)
    tracemalloc.start()
    w0, c0 = time.perf_counter(), time.process_time()
    plain = plain_newton_density(big, weights_big, sigma_big, xb[sub])
    wall_p, cpu_p = time.perf_counter() - w0, time.process_time() - c0
    peak_p = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    scale = xb.size / n_plain
    note = "" if n_plain == xb.size else f" (x{scale:.0f} extrapolated from {n_plain} points)"
    print(row("plain vectorized Newton" + ("*" if note else ""), wall_p * scale, cpu_p * scale, peak_p,
              np.max(np.abs(plain - ours_big[sub]))) + "  (vs rmtlib)" + note)


if __name__ == "__main__":
    sys.exit(main())
