"""Tolerances of the chapters' verdicts, derived next to the fluctuation scale they come from."""

from __future__ import annotations

import numpy as np
from scipy import stats

from .._validation import check_array, check_choice, check_int, check_real

__all__ = [
    "ks_tolerance",
    "loglog_slope",
    "max_gaussian_quantile",
    "outlier_fluctuation_variance",
]


def ks_tolerance(N: int, *, beta: int = 1, safety: float = 2.0) -> float:
    """Tolerance for the Kolmogorov distance between an ``N x N`` spectrum and its limit law.

    The eigenvalue counting function of a Wigner-type matrix fluctuates like a
    log-correlated field: its largest deviation from ``N F(x)`` over ``x`` is
    ``sqrt(2/beta)/pi * log N`` to leading order (``1/pi`` for ``beta = 2``,
    ``sqrt(2)/pi`` for real symmetric matrices). The Kolmogorov distance is that
    deviation divided by ``N``; the tolerance is ``safety`` times it plus ``2/N``
    (two eigenvalues: the ``O(1/N)`` corrections at the smallest sizes). The constant is
    proven for the unitary case (``beta = 2``, Gaussian; Claeys, Fahs, Lambert and Webb,
    2021); for real symmetric and non-Gaussian matrices it is the expected value, and the
    tolerance is calibrated by simulation instead (``tests/test_power.py``: no false alarm
    in repeated draws at the smallest sizes the chapters allow, every entry law).

    Parameters
    ----------
    N : int
        Matrix size, ``N >= 2``.
    beta : {1, 2}
        Symmetry class: 1 for real symmetric, 2 for complex Hermitian.
    safety : float
        Multiple of the leading-order deviation (> 0).

    Examples
    --------
    >>> round(ks_tolerance(1000), 5)
    0.00822
    """
    N = check_int(N, "N", minimum=2)
    check_choice(beta, "beta", (1, 2))
    safety = check_real(safety, "safety", positive=True)
    return float(safety * np.sqrt(2.0 / beta) / np.pi * np.log(N) / N + 2.0 / N)


def max_gaussian_quantile(r: int, *, level: float = 1e-3) -> float:
    """``t`` such that ``r`` standard Gaussians all satisfy ``|Z| <= t`` with probability ``>= 1 - level``.

    Union bound: ``2 r (1 - Phi(t)) = level``. Scaled by the standard deviation
    of an outlier it gives the tolerance for ``max_j |lambda_j - rho_j|``.

    Examples
    --------
    >>> round(max_gaussian_quantile(1), 3), round(max_gaussian_quantile(100), 3)
    (3.291, 4.417)
    """
    r = check_int(r, "r", minimum=1)
    level = check_real(level, "level", positive=True, maximum=0.5)
    return float(stats.norm.isf(level / (2 * r)))


def outlier_fluctuation_variance(overlap, *, sigma: float = 1.0, basis: str = "diagonal"):
    """Limit of ``N Var(lambda_j)`` for an outlier of ``H = W + S`` with Gaussian entries.

    A Schur-complement expansion around the outlier's eigenvector ``v`` of ``S``
    gives ``omega'(rho) (lambda - rho) = <v, W v> - xi``, with ``xi`` the centred
    quadratic form of ``v``'s complement in the resolvent. With
    ``overlap = 1 - sigma^2 ∫ dnu/(theta - x)^2 = 1/omega'(rho)``:

    * ``basis="diagonal"`` (``v`` a basis vector, ``<v, W v>`` a diagonal entry of
      variance ``sigma^2/N``): ``sigma^2 overlap (2 - overlap)``; for a spike
      (``nu = delta_0``) this is ``sigma^2 (1 - sigma^4/theta^4)``;
    * ``basis="haar"`` (delocalized ``v``, ``<v, W v>`` of variance ``2 sigma^2/N``,
      the GOE value): ``2 sigma^2 overlap``, i.e. ``2 sigma^2 (1 - sigma^2/theta^2)``
      for a spike.

    The two differ because the fluctuations of outliers are not universal.

    Examples
    --------
    >>> theta = 2.0  # a spike, nu = delta_0, sigma = 1: overlap = 3/4
    >>> float(outlier_fluctuation_variance(0.75)), 1 - 1 / theta**4
    (0.9375, 0.9375)
    >>> float(outlier_fluctuation_variance(0.75, basis="haar"))
    1.5
    """
    ov = check_array(overlap, "overlap")
    if np.any((ov < 0) | (ov > 1)):
        raise ValueError("overlap must lie in [0, 1] (a separated outlier)")
    sigma = check_real(sigma, "sigma", positive=True)
    check_choice(basis, "basis", ("diagonal", "haar"))
    if basis == "diagonal":
        return sigma**2 * ov * (2.0 - ov)
    return 2.0 * sigma**2 * ov


def loglog_slope(x, y) -> float:
    """Least-squares slope of ``log y`` against ``log x`` (the exponent of a power law).

    Examples
    --------
    >>> loglog_slope([100, 1000, 10000], [0.1, 0.01 * 10**0.5, 0.01])
    -0.5
    """
    x = check_array(x, "x", ndim=1, min_size=2)
    y = check_array(y, "y", ndim=1, min_size=2)
    if x.size != y.size:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y must be positive for a log-log fit")
    return round(float(np.polyfit(np.log(x), np.log(y), 1)[0]), 12)
