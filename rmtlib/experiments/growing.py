"""Experiments of chapter T5: full-rank S with a number of outliers that grows with N.

Each function is one simulation that the chapter plots or checks, written so that a sweep
can call it too: keyword-only parameters, the randomness from the required keyword
``rng``, and a ``dict`` of floats (or a small frozen result) out.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from .. import free_convolution, laws, outliers, samplers, spectra
from .._validation import check_choice, check_generator, check_int, check_real

__all__ = ["GrowingOutliers", "growing_outliers", "outlier_errors"]


@dataclasses.dataclass(frozen=True)
class GrowingOutliers:
    """The ``r`` top eigenvalues of ``H`` and their two predictions (see :func:`growing_outliers`).

    All arrays are in decreasing order: ``observed`` (eigenvalues of ``H``),
    ``first_order`` (``H_sigma(theta_j)`` with the limit law ``nu``) and
    ``equivalent`` (the finite-N deterministic equivalent built from the exact
    spectrum of ``S``).
    """

    N: int
    r: int
    thetas: np.ndarray
    observed: np.ndarray
    first_order: np.ndarray
    equivalent: np.ndarray
    edge: float
    next_eigenvalue: float


def _bulk_law(bulk: str):
    check_choice(bulk, "bulk", ("uniform", "semicircle"))
    return laws.Uniform(low=-1.0, high=1.0) if bulk == "uniform" else laws.Semicircle(sigma=0.5)


def _outliers_of_S(N: int, alpha: float, theta_low: float, theta_high: float) -> np.ndarray:
    r = min(max(1, round(N**alpha)), N // 2)
    if r == 1:
        return np.array([0.5 * (theta_low + theta_high)])
    return np.linspace(theta_low, theta_high, r)


@functools.lru_cache(maxsize=64)
def _equivalent_top(N: int, alpha: float, sigma: float, theta_low: float, theta_high: float, bulk: str):
    """The ``r`` largest eigenvalue locations of the deterministic equivalent, decreasing.

    ``S`` is deterministic, so the result is cached and shared by all matrices of a study.
    """
    thetas = _outliers_of_S(N, alpha, theta_low, theta_high)
    s = samplers.spectrum_with_outliers(N, bulk=_bulk_law(bulk), outliers=thetas)
    top = outliers.deterministic_equivalent(s, sigma).largest(thetas.size)
    top.flags.writeable = False
    return top


def growing_outliers(
    *,
    N: int,
    alpha: float,
    sigma: float = 1.0,
    theta_low: float = 2.0,
    theta_high: float = 4.0,
    bulk: str = "uniform",
    rng,
) -> GrowingOutliers:
    """``H = W + diag(s)`` with ``r = round(N^alpha)`` outliers of ``S`` in ``[theta_low, theta_high]``.

    ``s`` = the ``N - r`` quantiles of the bulk law ``nu`` (``"uniform"``:
    ``Uniform[-1, 1]``; ``"semicircle"``: semicircle of radius 1) followed by ``r``
    equally spaced outliers (one at the midpoint when ``r = 1``; ``r <= N/2``).
    Their spacing ``(theta_high - theta_low)/(r - 1)`` falls below the outlier
    fluctuation ``sigma/sqrt(N)`` once ``r`` exceeds about ``sqrt(N)``: the dense
    regime. The deterministic equivalent is
    ``deterministic_equivalent(s, sigma).largest(r)``, computed once per parameter set.

    Examples
    --------
    >>> import numpy as np
    >>> res = growing_outliers(N=400, alpha=0.5, rng=np.random.default_rng(0))
    >>> res.r, bool(res.next_eigenvalue < res.edge + 0.2)
    (20, True)
    >>> bool(np.max(np.abs(res.observed - res.equivalent)) < 0.2)
    True
    """
    N = check_int(N, "N", minimum=4)
    alpha = check_real(alpha, "alpha", minimum=0.0, maximum=1.0)
    sigma = check_real(sigma, "sigma", positive=True)
    theta_low = check_real(theta_low, "theta_low")
    theta_high = check_real(theta_high, "theta_high")
    if not theta_low < theta_high:
        raise ValueError(f"theta_low must be < theta_high, got {theta_low} and {theta_high}")
    nu = _bulk_law(bulk)
    check_generator(rng)
    thetas = _outliers_of_S(N, alpha, theta_low, theta_high)
    r = thetas.size
    prediction = outliers.predict_outliers(thetas, nu, sigma)
    if not np.all(prediction.separated):
        raise ValueError(
            f"theta_low = {theta_low} is below the threshold {prediction.threshold_right:.4g} for "
            f"bulk = {bulk!r}, sigma = {sigma}: every outlier must separate"
        )
    s = samplers.spectrum_with_outliers(N, bulk=nu, outliers=thetas)
    H = samplers.deformed_wigner(s, sigma=sigma, basis="diagonal", rng=rng)
    values = np.sort(spectra.top_eigvalsh(H, r + 1))[::-1]
    return GrowingOutliers(
        N=N,
        r=r,
        thetas=thetas,
        observed=values[:r],
        first_order=np.sort(np.asarray(prediction.rho, dtype=float))[::-1],
        equivalent=np.array(_equivalent_top(N, alpha, sigma, theta_low, theta_high, bulk)),
        edge=float(free_convolution.FreeConvolutionSemicircle(nu, sigma).support()[-1][1]),
        next_eigenvalue=float(values[r]),
    )


def outlier_errors(
    *,
    N: int,
    alpha: float,
    sigma: float = 1.0,
    theta_low: float = 2.0,
    theta_high: float = 4.0,
    bulk: str = "uniform",
    rng,
) -> dict[str, float]:
    """Errors of the two predictions for the ``r = N^alpha`` outliers of :func:`growing_outliers`.

    Returns
    -------
    dict
        ``r``; ``max_error_first_order`` and ``mean_error_first_order``
        (``max_j`` and mean of ``|lambda_j - H_sigma(theta_j)|``, both sorted in
        decreasing order); ``max_error_equivalent`` and ``mean_error_equivalent``
        (the same against the deterministic equivalent); ``fluctuation`` =
        ``sigma/sqrt(N)``, the scale of one outlier's fluctuations.

    Examples
    --------
    >>> import numpy as np
    >>> out = outlier_errors(N=300, alpha=0.25, rng=np.random.default_rng(2))
    >>> out["r"], out["max_error_first_order"] < 6 * out["fluctuation"]
    (4.0, True)
    """
    res = growing_outliers(
        N=N, alpha=alpha, sigma=sigma, theta_low=theta_low, theta_high=theta_high, bulk=bulk, rng=rng
    )
    first = np.abs(res.observed - res.first_order)
    equiv = np.abs(res.observed - res.equivalent)
    return {
        "r": float(res.r),
        "max_error_first_order": float(first.max()),
        "mean_error_first_order": float(first.mean()),
        "max_error_equivalent": float(equiv.max()),
        "mean_error_equivalent": float(equiv.mean()),
        "fluctuation": float(sigma / np.sqrt(res.N)),
    }
