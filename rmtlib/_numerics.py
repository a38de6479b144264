"""Numerical helpers shared by the laws and the predictions: a bracketed root finder, a reflection.

A private module: its names are used by :mod:`rmtlib.laws`, :mod:`rmtlib.free_convolution`
and :mod:`rmtlib.outliers`, not by users.
"""

from __future__ import annotations

import numpy as np

__all__ = []  # private module

_EPS = np.finfo(float).eps


def to_upper_half_plane(z: np.ndarray) -> np.ndarray:
    """``z`` reflected into the closed upper half-plane, real points with imaginary part +0."""
    return z.real + 1j * np.abs(z.imag)


def solve_increasing(fun, lo, hi, x0=None, *, maxiter: int = 200, xtol: float = 0.0) -> np.ndarray:
    """Root of an increasing function in each bracket ``[lo, hi]``, elementwise.

    ``fun(x, idx)`` returns ``(value, derivative)`` at the points ``x`` of the entries
    ``idx`` (derivative may be ``None``); Newton steps are taken while they stay
    inside the bracket, bisection otherwise. An entry is done when its step or its bracket is
    below ``4 eps |x| + xtol``.
    """
    lo = np.array(lo, dtype=float, copy=True)
    hi = np.array(hi, dtype=float, copy=True)
    x = 0.5 * (lo + hi) if x0 is None else np.clip(np.array(x0, dtype=float), lo, hi)
    active = np.ones(x.shape, dtype=bool)
    for _ in range(maxiter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        xa = x[idx]
        with np.errstate(all="ignore"):
            val, der = fun(xa, idx)
        val = np.asarray(val, dtype=float)
        lo[idx] = np.where(val < 0, xa, lo[idx])
        hi[idx] = np.where(val > 0, xa, hi[idx])
        mid = 0.5 * (lo[idx] + hi[idx])
        if der is None:
            new = mid
        else:
            with np.errstate(all="ignore"):
                new = xa - val / np.asarray(der, dtype=float)
            bad = ~np.isfinite(new) | (new <= lo[idx]) | (new >= hi[idx])
            # a Newton step below the tolerance is convergence, not a step out of the bracket
            # (rounded onto the end just set to x): stop at x rather than bisect from there
            settled = bad & (np.abs(new - xa) <= 4 * _EPS * np.abs(xa) + max(xtol, 1e-300))
            new = np.where(settled, xa, np.where(bad, mid, new))
        new = np.where(val == 0, xa, new)
        tol = 4 * _EPS * np.maximum(np.abs(new), 1e-300) + max(xtol, 1e-300)
        done = (np.abs(new - xa) <= tol) | (hi[idx] - lo[idx] <= tol) | (val == 0)
        x[idx] = new
        active[idx[done]] = False
    return x
