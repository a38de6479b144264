"""Experiments of chapter T4: full-rank S with a fixed number of outliers.

Each function is one simulation that the chapter plots or checks, written so that a sweep
can call it too: keyword-only parameters, the randomness from the required keyword
``rng``, and a ``dict`` of floats (or a small frozen result) out.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .. import free_convolution, outliers, samplers, spectra
from .._validation import check_array, check_generator, check_int, check_real
from ..tracy_widom import tracy_widom_unit
from .statistics import count_test, mean_test, outlier_fluctuation_variance, pooled_z_test, z_square_test

__all__ = ["OutlierComparison", "full_rank_verdicts", "outlier_comparison", "separation_table"]


@dataclasses.dataclass(frozen=True)
class OutlierComparison:
    """Predicted against observed outliers of one ``H = W + S`` (see :func:`outlier_comparison`).

    Arrays are indexed like ``thetas``; ``observed`` and ``overlap_observed`` are
    ``nan`` where the prediction says the outlier is absorbed. ``top`` holds the
    largest eigenvalues of ``H`` (the separated outliers and ten more), decreasing.
    ``count_line`` is the line above which eigenvalues are counted (see
    :func:`outlier_comparison`).
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
    count_line: float


def outlier_comparison(
    *, N: int, nu, thetas, sigma: float = 1.0, noise_variance_factor: float = 1.0, rng
) -> OutlierComparison:
    """Outliers of ``H = W + diag(s)``, ``s`` = ``N - r`` quantiles of ``nu`` plus ``thetas``.

    The ``theta_j`` (all above the bulk of ``nu``) are compared with
    :func:`rmtlib.outliers.predict_outliers`: each separated ``theta_j`` is
    matched to the eigenvalue of ``H`` whose eigenvector is most aligned with
    ``e_j`` (its eigenvector in ``S``), and the eigenvalues of ``H`` above the
    right edge of ``mu = mu_sc ⊞ nu`` plus a margin of six Tracy-Widom units
    (:func:`tracy_widom_unit`; the largest bulk eigenvalue exceeds it with
    probability below 1e-4) are counted against the predicted count: the
    separated outliers whose limit lies above that line. Where a predicted outlier
    lies within 4.5 of its standard deviations (:func:`outlier_fluctuation_variance`)
    of the line, the line moves to 4.5 standard deviations above it (``count_line``),
    so that the count is certain under the model at every ``N``.
    ``noise_variance_factor`` multiplies the variance of the noise in the simulated
    matrix only (the prediction keeps ``sigma``): a wrong model for the verdicts to reject.

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
    noise_variance_factor = check_real(noise_variance_factor, "noise_variance_factor", positive=True)
    check_generator(rng)
    prediction = outliers.predict_outliers(thetas, nu, sigma)
    mu = free_convolution.FreeConvolutionSemicircle(nu, sigma)
    edge = float(mu.support()[-1][1])
    margin = 6.0 * tracy_widom_unit(mu, N)
    s = samplers.spectrum_with_outliers(N, bulk=nu, outliers=thetas)
    H = samplers.deformed_wigner(s, sigma=sigma * np.sqrt(noise_variance_factor), basis="diagonal", rng=rng)
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
    overlap = np.asarray(prediction.overlap, dtype=float)
    line = edge + margin
    sd = np.sqrt(outlier_fluctuation_variance(np.clip(overlap, 0.0, 1.0), sigma=sigma) / N)
    for _ in range(r):  # move the line above every outlier too close to it
        close = separated & (np.abs(rho - line) < 4.5 * sd * (1 - 1e-9))
        if not close.any():
            break
        line = float(np.max(rho[close] + 4.5 * sd[close]))
    return OutlierComparison(
        thetas=thetas,
        rho=rho,
        separated=separated,
        overlap_predicted=overlap,
        observed=observed,
        overlap_observed=overlap_observed,
        edge=edge,
        margin=margin,
        count_predicted=int(np.sum(separated & (rho > line))),
        count_observed=int(np.sum(values > line)),
        top=np.sort(values)[::-1],
        count_line=line,
    )


# Finite-N bias of the T4 squared overlaps, measured in this book: about -10 sqrt(1 - o)/N
# (N = 200 to 2000, the three bulks of the chapter); the allowance doubles it.
_T4_OVERLAP_BIAS = 20.0


def full_rank_verdicts(results: dict, *, N: int, sigma: float) -> list[dict]:
    """T4: counts, locations and overlaps of the outliers of full-rank ``S``.

    ``results[name]`` is a list of :class:`~rmtlib.experiments.full_rank.OutlierComparison`
    (one per matrix). Per matrix, the count of eigenvalues above the counting line must
    equal the prediction. Over all matrices and the outliers above the line: the pooled
    standardized location error (Gaussian, the diagonal-basis variance of
    :func:`outlier_fluctuation_variance`), its chi-square (the spread), and the mean
    overlap error against ``1 - sigma^2 int dnu/(theta - x)^2`` (Student t, finite-N bias
    allowance ``20 sqrt(1 - o)/N``).

    Power against a noise variance ``sigma^2 (1 + delta)`` (``noise_shift``, exact in ``delta``
    while the outliers stay separated): the locations move by ``(rho - theta) delta``, the
    overlaps by ``(o - 1) delta``; the counts and the chi-square state none.
    """
    N = check_int(N, "N", minimum=2)
    sigma = check_real(sigma, "sigma", positive=True)
    out, errors, sds, rhos, thetas, overlap_errors, overlaps = [], [], [], [], [], [], []
    matrices = 0
    for name, res_list in results.items():
        for k, res in enumerate(res_list):
            matrices += 1
            out.append(
                {
                    "theorem": "T4",
                    "quantity": f"eigenvalues outside the bulk, nu = {name}, matrix {k + 1}",
                    "N": N,
                    "seeds": 1,
                    **count_test(res.count_predicted, res.count_observed),
                }
            )
            counted = res.separated & (res.rho > res.count_line)
            errors.extend(res.observed[counted] - res.rho[counted])
            sds.extend(np.sqrt(outlier_fluctuation_variance(res.overlap_predicted[counted], sigma=sigma) / N))
            rhos.extend(res.rho[counted])
            thetas.extend(res.thetas[counted])
            overlap_errors.extend(res.overlap_observed[counted] - res.overlap_predicted[counted])
            overlaps.extend(res.overlap_predicted[counted])
    errors, sds, overlaps = np.array(errors), np.array(sds), np.array(overlaps)
    # Noise variance sigma^2 (1 + delta): rho = theta + sigma^2 (1 + delta) int dnu/(theta - x) and
    # o = 1 - sigma^2 (1 + delta) int dnu/(theta - x)^2 move by (rho - theta) delta and (o - 1) delta.
    location_shift = float(np.sum((np.array(rhos) - np.array(thetas)) / sds) / np.sqrt(max(errors.size, 1)))
    common = {"theorem": "T4", "N": N, "seeds": matrices}
    out.append(
        {
            **common,
            "quantity": f"pooled standardized outlier location error ({errors.size} outliers)",
            **pooled_z_test(errors, sds, scale=np.array(rhos)),
            "noise_shift": location_shift,
        }
    )
    out.append(
        {
            **common,
            "quantity": "chi-square of the standardized outlier location errors",
            **z_square_test(errors, sds),
        }
    )
    bias = float(np.mean(_T4_OVERLAP_BIAS * np.sqrt(1.0 - overlaps)) / N)
    spec = mean_test(overlap_errors, predicted=0.0, bias=bias, scale=float(np.mean(overlaps)))
    spec["seeds"] = matrices
    spec["noise_shift"] = float(np.mean(overlaps - 1.0))
    out.append(
        {**common, "quantity": "mean squared-overlap error, 1 - sigma^2 int dnu/(theta - x)^2", **spec}
    )
    return out


def separation_table(thetas, nus: dict, *, sigma: float) -> pd.DataFrame:
    """Whether each outlier ``theta`` of ``S`` is predicted to separate from the bulk of
    ``mu_sc(sigma) ⊞ nus[name]`` (:func:`~rmtlib.outliers.predict_outliers`): one column per law,
    indexed by ``theta``."""
    return pd.DataFrame(
        {name: outliers.predict_outliers(thetas, nu, sigma).separated for name, nu in nus.items()},
        index=pd.Index(thetas, name="theta"),
    )
