"""Numerical helpers shared by the laws and the predictions: a bracketed root finder, a
reflection, the Newton iterations of the subordination maps, the edge coordinate.

A private module: its names are used by :mod:`rmtlib.laws`, :mod:`rmtlib.free_convolution`,
:mod:`rmtlib.information_plus_noise` and :mod:`rmtlib.outliers`, not by users.
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


def edge_coordinate(F, f_a, f_b, hard_left: bool = False) -> np.ndarray:
    """``l / (l + r)`` with ``m = (F - f_a) / (f_b - f_a)``, ``l = m^(1/3)`` (``m`` at a hard left
    edge) and ``r = (1 - m)^(1/3)``: a coordinate along a support component in which the level
    ``F`` of the cdf is linear next to both edges (``F - F_edge ~ u^3``, or ``~ u`` at a hard edge)."""
    m = np.clip((F - f_a) / (f_b - f_a), 0.0, 1.0)
    left, right = (m if hard_left else np.cbrt(m)), np.cbrt(1 - m)
    return left / (left + right)


def _kept_above(wa, step, floor):
    """The step ``wa + t step`` with ``t = 1``, or half the way to the line ``Im = floor`` where the
    full step would cross it; also whether it was shortened."""
    room = wa.imag - floor
    shrink = (room + step.imag) <= 0
    with np.errstate(all="ignore"):  # both branches are evaluated; the masked one may overflow
        t = np.where(shrink, 0.5 * room / np.abs(step.imag), 1.0)
    return t, shrink


def newton_upper_half_plane(fun, target, guess, *, floor=0.0, rtol: float, scale: float, maxiter: int = 60):
    """Newton for ``M(w) = target`` elementwise, keeping ``Im w > floor`` (the branch of a
    subordination function). ``fun(w)`` returns ``(M(w), M'(w))``. An entry is done when a full
    step is below ``rtol (Im w - floor)`` or ``1e-15 (|w| + scale)``. Returns ``w`` and the mask of
    the entries not converged after ``maxiter`` steps."""
    w = np.array(guess, dtype=complex)
    floor = np.broadcast_to(np.asarray(floor, dtype=float), w.shape)
    active = np.ones(w.shape, dtype=bool)
    for _ in range(maxiter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        wa = w[idx]
        m, mp = fun(wa)
        with np.errstate(all="ignore"):
            step = -(m - target[idx]) / mp
        step = np.where(np.isfinite(step), step, 0.0)
        t, shrink = _kept_above(wa, step, floor[idx])
        w[idx] = wa + t * step
        size = np.abs(step)
        done = (size <= rtol * (w[idx].imag - floor[idx])) | (size <= 1e-15 * (np.abs(wa) + scale))
        active[idx[done & ~shrink]] = False
    return w, active


def newton_on_the_curve(fun, target, w, x, active, *, scale: float, maxiter: int = 60):
    """Quantiles by a 2 x 2 Newton iteration on the curve ``Im M(w) = 0`` of a subordination map
    ``M``: solve ``Im M(w) = 0`` and ``Im P(w) = target`` for ``w`` in the upper half-plane, where
    ``P`` is a potential with ``cdf = const + Im P / pi``. ``fun(w)`` returns ``(M, M', Im P, P')``.

    Updates ``w`` and ``x = Re M(w)`` in place for the entries of ``active``, and clears those that
    converged (a step below ``1e-7 Im w`` or ``1e-15 (|w| + scale)``)."""
    for _ in range(maxiter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        wa = w[idx]
        m, mp, pot, dpot = fun(wa)
        r1, r2 = m.imag, pot - target[idx]
        det = mp.imag * dpot.real - mp.real * dpot.imag
        with np.errstate(all="ignore"):
            du = -(dpot.real * r1 - mp.real * r2) / det
            dv = -(-dpot.imag * r1 + mp.imag * r2) / det
            step = np.where(np.isfinite(du) & np.isfinite(dv), du + 1j * dv, 0.0)
        t, shrink = _kept_above(wa, step, 0.0)
        w[idx] = wa + t * step
        x[idx] = (m + mp * t * step).real
        size = np.abs(step)
        done = (size <= 1e-7 * w[idx].imag) | (size <= 1e-15 * (np.abs(wa) + scale))
        active[idx[done & ~shrink]] = False
    return active
