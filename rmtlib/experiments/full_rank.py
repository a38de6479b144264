"""Experiments of chapters T4-T5: full-rank S with a fixed and a growing number of outliers.

Each function is one simulation that a chapter plots or checks, written so that a sweep
can call it too: keyword-only parameters, the randomness from the required keyword
``rng``, and a ``dict`` of floats (or a small frozen result) out.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from .. import laws, outliers, samplers, spectra
from .._validation import check_array, check_choice, check_generator, check_int, check_real
from .tolerances import tracy_widom_unit

__all__ = ["GrowingOutliers", "OutlierComparison", "growing_outliers", "outlier_comparison", "outlier_errors"]


@dataclasses.dataclass(frozen=True)
class OutlierComparison:
    """Predicted against observed outliers of one ``H = W + S`` (see :func:`outlier_comparison`).

    Arrays are indexed like ``thetas``; ``observed`` and ``overlap_observed`` are
    ``nan`` where the prediction says the outlier is absorbed. ``top`` holds the
    largest eigenvalues of ``H`` (the separated outliers and ten more), decreasing.
    """

    thetas: np.ndarray
    rho: np.ndarray
    separated: np.ndarray
    overlap_predicted: np.ndarray
    observed: np.ndarray
    overlap_observed: np.ndarray
    edge: float
    margin: float
    count_predicted: int
    count_observed: int
    top: np.ndarray


def outlier_comparison(*, N: int, nu, thetas, sigma: float = 1.0, rng) -> OutlierComparison:
    """Outliers of ``H = W + diag(s)``, ``s`` = ``N - r`` quantiles of ``nu`` plus ``thetas``.

    The ``theta_j`` (all above the bulk of ``nu``) are compared with
    :func:`rmtlib.outliers.predict_outliers`: each separated ``theta_j`` is
    matched to the eigenvalue of ``H`` whose eigenvector is most aligned with
    ``e_j`` (its eigenvector in ``S``), and the eigenvalues of ``H`` above the
    right edge of ``mu = mu_sc ⊞ nu`` plus a margin of six Tracy-Widom units
    (:func:`tracy_widom_unit`; the largest bulk eigenvalue exceeds it with
    probability below 1e-4) are counted against the predicted count: the
    separated outliers whose limit lies above that line.

    Examples
    --------
    >>> import numpy as np
    >>> from rmtlib.laws import Uniform
    >>> res = outlier_comparison(N=600, nu=Uniform(low=-1.0, high=1.0), thetas=[1.2, 3.0],
    ...                          rng=np.random.default_rng(0))
    >>> res.separated.tolist(), res.count_predicted, res.count_observed
    ([False, True], 1, 1)
    >>> round(float(res.rho[1]), 4), bool(abs(res.observed[1] - res.rho[1]) < 0.15)
    (3.3466, True)
    """
    N = check_int(N, "N", minimum=2)
    thetas = check_array(thetas, "thetas", ndim=1, min_size=1)
    sigma = check_real(sigma, "sigma", positive=True)
    check_generator(rng)
    prediction = outliers.predict_outliers(thetas, nu, sigma)
    mu = laws.FreeConvolutionSemicircle(nu, sigma)
    edge = float(mu.support()[-1][1])
    margin = 6.0 * tracy_widom_unit(mu, N)
    s = samplers.spectrum_with_outliers(N, bulk=nu, outliers=thetas)
    H = samplers.deformed_wigner(s, sigma=sigma, basis="diagonal", rng=rng)
    separated = np.asarray(prediction.separated, dtype=bool)
    k = int(separated.sum()) + 10
    values, vectors = spectra.top_eigvalsh(H, min(k, N), return_vectors=True)
    r = thetas.size
    observed = np.full(r, np.nan)
    overlap_observed = np.full(r, np.nan)
    weights = vectors[N - r :, :] ** 2  # overlaps of the computed eigenvectors with e_{N-r+j}
    for j in np.flatnonzero(separated):
        best = int(np.argmax(weights[j]))
        observed[j] = values[best]
        overlap_observed[j] = weights[j, best]
    rho = np.asarray(prediction.rho, dtype=float)
    return OutlierComparison(
        thetas=thetas,
        rho=rho,
        separated=separated,
        overlap_predicted=np.asarray(prediction.overlap, dtype=float),
        observed=observed,
        overlap_observed=overlap_observed,
        edge=edge,
        margin=margin,
        count_predicted=int(np.sum(separated & (rho > edge + margin))),
        count_observed=int(np.sum(values > edge + margin)),
        top=np.sort(values)[::-1],
    )


# --------------------------------------------------------------------------- T5: r(N) outliers


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
        edge=float(laws.FreeConvolutionSemicircle(nu, sigma).support()[-1][1]),
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
