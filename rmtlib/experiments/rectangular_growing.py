"""Experiments of chapter T8: rectangular ``W = R / sqrt(N) + S``, full-rank ``S`` with a power-law
bulk of singular values and ``r = round(min(N, M)^alpha)`` outliers.

Each function takes keyword-only parameters and the randomness from the required keyword ``rng``
and returns a small frozen result or a ``dict`` of floats, so that ``python -m rmtlib sweep`` can
call it by name. ``noise_variance_factor`` multiplies the variance of the simulated noise only,
never the prediction (the chapters' check of their verdicts' power).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd

from .. import outliers, samplers
from .._validation import check_choice, check_generator, check_int, check_real
from ..samplers import power_law_bulk
from .statistics import loglog_slope_interval, pooled_t_check, t_interval, t_statistic

__all__ = [
    "error_slopes",
    "error_study",
    "rectangular_growing_verdicts",
    "overlap_table",
    "crowded_study",
    "bulk_table",
    "rectangular_outliers_of_S",
    "RectangularBulk",
    "rectangular_bulk",
    "RectangularGrowing",
    "rectangular_growing_outliers",
    "rectangular_outlier_errors",
    "outlier_error_summary",
    "outlier_residual_test",
]


def rectangular_outliers_of_S(
    n: int,
    *,
    alpha: float,
    family: str = "many",
    s_low: float = 3.0,
    spacing: float = 0.25,
    s_high: float = 5.0,
) -> np.ndarray:
    """The ``r = round(n^alpha)`` outlier singular values of ``S`` (ascending, ``r <= n / 2``).

    ``family="many"``: ``s_low + j spacing``, a fixed spacing, so the outliers spread over a
    growing range; ``family="crowded"``: equally spaced in the fixed ``[s_low, s_high]`` (one at
    the midpoint when ``r = 1``), so their spacing shrinks like ``1 / r``.

    Examples
    --------
    >>> rectangular_outliers_of_S(256, alpha=0.25)
    array([3.  , 3.25, 3.5 , 3.75])
    >>> rectangular_outliers_of_S(256, alpha=0.25, family="crowded").round(3)
    array([3.   , 3.667, 4.333, 5.   ])
    """
    n = check_int(n, "n", minimum=2)
    alpha = check_real(alpha, "alpha", minimum=0.0, maximum=1.0)
    check_choice(family, "family", ("many", "crowded"))
    r = min(max(1, round(n**alpha)), n // 2)
    if family == "many":
        return s_low + spacing * np.arange(r)
    return np.array([0.5 * (s_low + s_high)]) if r == 1 else np.linspace(s_low, s_high, r)


def outlier_residual_test(results, prediction: str = "equivalent", *, level: float = 0.999) -> dict:
    """:func:`~rmtlib.experiments.statistics.t_interval` of one value per matrix: ``sqrt(N)`` times the
    mean over its outliers of ``observed - prediction`` (``prediction`` is ``"equivalent"`` or
    ``"first_order"``).

    The outliers of one matrix fluctuate together (crowded ones above all), the matrices
    independently, so the matrices are the units of the test. Adds ``detectable``: the
    detectable shift relative to the mean of ``sqrt(N)`` times the predicted locations (the
    smallest relative error in the outlier locations rejected with probability >= 0.9), and
    ``noise_shift``: the change of the mean per unit relative error in the noise variance (from the
    predictions' finite differences stored with each matrix).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> runs = [rectangular_growing_outliers(N=100, alpha=0.25, rng=rng) for _ in range(4)]
    >>> test = outlier_residual_test(runs)
    >>> test["count"], abs(test["mean"]) <= test["tolerance"]
    (4, True)
    """
    check_choice(prediction, "prediction", ("equivalent", "first_order"))
    results = list(results)
    residual = [np.sqrt(x.N) * np.mean(x.observed - getattr(x, prediction)) for x in results]
    scale = float(np.mean([np.sqrt(x.N) * np.mean(getattr(x, prediction)) for x in results]))
    test = t_interval(residual, level=level)
    slopes = [getattr(x, f"slope_{prediction}") for x in results]
    noise_shift = (
        None
        if any(v is None for v in slopes)
        else float(np.mean([np.sqrt(x.N) * np.mean(v) for x, v in zip(results, slopes, strict=True)]))
    )
    return {**test, "detectable": test["detectable_shift"] / scale, "noise_shift": noise_shift}


def _noise(N, M, sigma, factor, rng):
    return samplers.rectangular_noise(N, M, sigma=sigma * np.sqrt(factor), rng=rng)


@dataclasses.dataclass(frozen=True)
class RectangularBulk:
    """Singular values of ``W`` for a full-rank power-law ``S`` (see :func:`rectangular_bulk`).

    ``observed`` is ``n_draws x n`` (each row decreasing), ``predicted`` the ``n`` predicted
    singular values (decreasing), ``s`` those of ``S`` (ascending).
    """

    N: int
    M: int
    s: np.ndarray
    observed: np.ndarray
    predicted: np.ndarray
    sigma: float = 1.0

    def noise_slope(self) -> float:
        """``d/d delta`` of the mean predicted singular value at the noise variance
        ``sigma^2 (1 + delta)``, ``delta = 0`` (symmetric finite difference): the change of the mean
        error per unit relative error in the noise variance."""
        shape = (self.N, self.M)
        up, down = (
            outliers.rectangular_deterministic_equivalent(self.s, self.sigma * np.sqrt(1 + h), shape)
            .singular_values.mean()
            for h in (_NOISE_STEP, -_NOISE_STEP)
        )
        return float((up - down) / (2 * _NOISE_STEP))

    def mean_errors(self) -> np.ndarray:
        """Per draw, the mean over all singular values of ``observed - predicted``."""
        return (self.observed - self.predicted).mean(axis=1)


def rectangular_bulk(
    *,
    N: int,
    gamma: float,
    sigma: float = 1.0,
    n_draws: int = 3,
    scale: float = 1.5,
    power: float = 2.0,
    noise_variance_factor: float = 1.0,
    rng,
) -> RectangularBulk:
    """``n_draws`` matrices ``W = R / sqrt(N) + S`` with one full-rank ``S`` of singular values
    :func:`power_law_bulk` (Haar singular vectors), against the deterministic equivalent.

    Examples
    --------
    >>> res = rectangular_bulk(N=100, gamma=2.0, n_draws=2, rng=np.random.default_rng(0))
    >>> res.observed.shape, bool(abs(res.mean_errors()).max() < 0.02)
    ((2, 100), True)
    """
    N = check_int(N, "N", minimum=4)
    gamma = check_real(gamma, "gamma", positive=True)
    M = max(2, round(gamma * N))
    sigma = check_real(sigma, "sigma", positive=True)
    n_draws = check_int(n_draws, "n_draws", minimum=1)
    factor = check_real(noise_variance_factor, "noise_variance_factor", positive=True)
    check_generator(rng)
    n = min(N, M)
    s = power_law_bulk(n, scale=scale, power=power)
    predicted = outliers.rectangular_deterministic_equivalent(s, sigma, (N, M)).singular_values[::-1].copy()
    S = samplers.low_rank_signal(N, M, s, rng=rng)
    observed = np.array(
        [np.linalg.svd(S + _noise(N, M, sigma, factor, rng), compute_uv=False) for _ in range(n_draws)]
    )
    return RectangularBulk(N=N, M=M, s=s, observed=observed, predicted=predicted, sigma=sigma)


@dataclasses.dataclass(frozen=True)
class RectangularGrowing:
    """The ``r`` top singular values of ``W`` and their two predictions, decreasing.

    ``first_order``: each outlier of ``S`` alone in front of the bulk of ``S``
    (:func:`~rmtlib.outliers.predict_singular_outliers_over_bulk`);
    ``equivalent``: the deterministic equivalent from all singular values of ``S``.
    ``overlap_left`` / ``overlap_right``: squared overlaps of the ``k`` top singular vectors of
    ``W`` with those of ``S`` (empty unless asked for), and their first-order outliers.
    """

    N: int
    M: int
    r: int
    s_outliers: np.ndarray
    observed: np.ndarray
    first_order: np.ndarray
    equivalent: np.ndarray
    edge: float
    next_singular_value: float
    overlap_left: np.ndarray
    overlap_right: np.ndarray
    predicted_overlap_left: np.ndarray
    predicted_overlap_right: np.ndarray
    slope_first_order: np.ndarray | None = None
    slope_equivalent: np.ndarray | None = None


_NOISE_STEP = 1e-4  # relative step in sigma^2 of the symmetric finite differences


@functools.lru_cache(maxsize=128)
def _noise_slopes(N, M, alpha, family, sigma, *rest):
    """``d/d delta`` of the first-order and equivalent outlier locations (decreasing) at the noise
    variance ``sigma^2 (1 + delta)``, ``delta = 0``, by a symmetric finite difference."""
    up, down = (
        _predictions(N, M, alpha, family, sigma * np.sqrt(1 + h), *rest) for h in (_NOISE_STEP, -_NOISE_STEP)
    )
    first = (up[2].rho - down[2].rho)[::-1] / (2 * _NOISE_STEP)
    equivalent = (np.asarray(up[3]) - np.asarray(down[3])) / (2 * _NOISE_STEP)
    return first, equivalent


@functools.lru_cache(maxsize=128)
def _predictions(N, M, alpha, family, sigma, s_low, spacing, s_high, scale, power):
    n = min(N, M)
    out = rectangular_outliers_of_S(
        n, alpha=alpha, family=family, s_low=s_low, spacing=spacing, s_high=s_high
    )
    bulk = power_law_bulk(n - out.size, scale=scale, power=power)
    first = outliers.predict_singular_outliers_over_bulk(out, bulk, sigma=sigma, shape=(N, M))
    if not np.all(first.separated):
        raise ValueError(f"s_low = {s_low} is below the separation threshold {first.threshold:.4g}")
    de = outliers.rectangular_deterministic_equivalent(np.r_[bulk, out], sigma, (N, M))
    return out, bulk, first, de.largest(out.size), de.support[-1][1] if len(de.support) == 1 else first.edge


def rectangular_growing_outliers(
    *,
    N: int,
    alpha: float,
    gamma: float = 2.0,
    family: str = "many",
    sigma: float = 1.0,
    s_low: float = 3.0,
    spacing: float = 0.25,
    s_high: float = 5.0,
    scale: float = 1.5,
    power: float = 2.0,
    overlaps: int = 0,
    noise_variance_factor: float = 1.0,
    rng,
) -> RectangularGrowing:
    """``W = R / sqrt(N) + S``, ``N x round(gamma N)``, ``S`` with a :func:`power_law_bulk` and the
    outliers :func:`rectangular_outliers_of_S`, Haar singular vectors; ``overlaps = k`` also
    measures the squared overlaps of the ``k`` top singular vectors (a full SVD).

    Examples
    --------
    >>> res = rectangular_growing_outliers(N=200, alpha=0.5, rng=np.random.default_rng(0))
    >>> res.r, bool(np.max(np.abs(res.observed - res.equivalent)) < 0.2)
    (14, True)
    """
    N = check_int(N, "N", minimum=8)
    gamma = check_real(gamma, "gamma", positive=True)
    M = max(2, round(gamma * N))
    alpha = check_real(alpha, "alpha", minimum=0.0, maximum=1.0)
    sigma = check_real(sigma, "sigma", positive=True)
    factor = check_real(noise_variance_factor, "noise_variance_factor", positive=True)
    overlaps = check_int(overlaps, "overlaps", minimum=0)
    check_generator(rng)
    design = (float(s_low), float(spacing), float(s_high), float(scale), float(power))
    out, bulk, first, equivalent, edge = _predictions(N, M, alpha, family, sigma, *design)
    slope_first, slope_equivalent = _noise_slopes(N, M, alpha, family, sigma, *design)
    r = out.size
    S, U, V = samplers.low_rank_signal(N, M, np.r_[bulk, out], return_vectors=True, rng=rng)
    W = S + _noise(N, M, sigma, factor, rng)
    k = min(overlaps, r)
    if k:
        u, sv, vt = np.linalg.svd(W, full_matrices=False)
        # the j-th largest singular value of W goes with the j-th largest outlier of S (last columns)
        left = np.einsum("ij,ij->j", u[:, :k], U[:, ::-1][:, :k]) ** 2
        right = np.einsum("ij,ji->j", V[:, ::-1][:, :k], vt[:k]) ** 2
    else:
        sv = np.linalg.svd(W, compute_uv=False)
        left = right = np.array([])
    return RectangularGrowing(
        N=N,
        M=M,
        r=r,
        s_outliers=out,
        observed=sv[:r].copy(),
        first_order=first.rho[::-1].copy(),
        equivalent=np.array(equivalent),
        edge=float(edge),
        next_singular_value=float(sv[r]),
        overlap_left=left,
        overlap_right=right,
        predicted_overlap_left=first.overlap_left[::-1][:k].copy(),
        predicted_overlap_right=first.overlap_right[::-1][:k].copy(),
        slope_first_order=slope_first.copy(),
        slope_equivalent=slope_equivalent.copy(),
    )


def rectangular_outlier_errors(
    *,
    N: int,
    alpha: float,
    gamma: float = 2.0,
    family: str = "many",
    sigma: float = 1.0,
    noise_variance_factor: float = 1.0,
    rng,
) -> dict[str, float]:
    """Errors of both predictions for :func:`rectangular_growing_outliers` (a sweep experiment).

    Returns ``r``; ``max_error_first_order``, ``mean_error_first_order``,
    ``max_error_equivalent``, ``mean_error_equivalent`` (max and mean of the absolute errors
    over the ``r`` outliers); ``mean_residual_equivalent`` (signed); ``fluctuation`` =
    ``sigma / sqrt(N)``.

    Examples
    --------
    >>> out = rectangular_outlier_errors(N=200, alpha=0.25, rng=np.random.default_rng(1))
    >>> out["r"], out["max_error_equivalent"] < 6 * out["fluctuation"]
    (4.0, True)
    """
    res = rectangular_growing_outliers(
        N=N,
        alpha=alpha,
        gamma=gamma,
        family=family,
        sigma=sigma,
        noise_variance_factor=noise_variance_factor,
        rng=rng,
    )
    return outlier_error_summary(res)


def outlier_error_summary(res: RectangularGrowing) -> dict[str, float]:
    """The errors of :func:`rectangular_outlier_errors` for one :class:`RectangularGrowing`."""
    first = np.abs(res.observed - res.first_order)
    equiv = res.observed - res.equivalent
    return {
        "r": float(res.r),
        "max_error_first_order": float(first.max()),
        "mean_error_first_order": float(first.mean()),
        "max_error_equivalent": float(np.abs(equiv).max()),
        "mean_error_equivalent": float(np.abs(equiv).mean()),
        "mean_residual_equivalent": float(equiv.mean()),
        "fluctuation": float(1.0 / np.sqrt(res.N)),
    }


def bulk_table(bulk: dict) -> pd.DataFrame:
    """One row per :class:`RectangularBulk` of ``bulk`` (keyed by aspect ratio): the
    :func:`~rmtlib.experiments.statistics.t_interval` of its per-draw mean errors against the
    information-plus-noise law, and the detectable shift relative to the mean singular value.

    Examples
    --------
    >>> res = rectangular_bulk(N=100, gamma=2.0, n_draws=3, rng=np.random.default_rng(0))
    >>> table = bulk_table({2.0: res})
    >>> list(table.columns), bool(abs(table["mean error"].iloc[0]) <= table["tolerance"].iloc[0])
    (['gamma', 'mean error', 'standard error', 'tolerance', 'mean singular value', 'detectable'], True)
    """
    rows = []
    for res in bulk.values():
        test = t_interval(res.mean_errors())
        rows.append(
            {
                "gamma": res.M / res.N,
                "mean error": test["mean"],
                "standard error": test["se"],
                "tolerance": test["tolerance"],
                "mean singular value": res.predicted.mean(),
                "detectable": test["detectable_shift"] / res.predicted.mean(),
            }
        )
    return pd.DataFrame(rows)


def crowded_study(
    *, N: int, alphas, gamma: float, sigma: float = 1.0, seeds: int, noise_variance_factor: float = 1.0, rng
) -> tuple[pd.DataFrame, list[RectangularGrowing]]:
    """``seeds`` matrices of the crowded family (``r = round(N^alpha)`` outliers equally spaced in
    ``[3, 5]``) per ``alpha``: the table of the chapter (one row per ``alpha``: ``r``, the spacing in
    units of ``1/sqrt(N)``, the largest error of each prediction and the t statistic of the pooled
    ``sqrt(N)`` errors, :func:`~rmtlib.experiments.statistics.t_statistic`) and every matrix.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> table, runs = crowded_study(N=100, alphas=[0.0, 0.5], gamma=2.0, seeds=2, rng=rng)
    >>> table.index.tolist(), len(runs), table["r"].tolist()
    ([0.0, 0.5], 4, [1, 10])
    """
    check_int(seeds, "seeds", minimum=1)
    rows, runs = [], []
    for a in alphas:
        res = [
            rectangular_growing_outliers(
                N=N,
                alpha=a,
                gamma=gamma,
                sigma=sigma,
                family="crowded",
                noise_variance_factor=noise_variance_factor,
                rng=rng,
            )
            for _ in range(seeds)
        ]
        eq = np.concatenate([np.sqrt(N) * (x.observed - x.equivalent) for x in res])
        fo = np.concatenate([np.sqrt(N) * (x.observed - x.first_order) for x in res])
        runs += res
        spacing = 2.0 / (res[0].r - 1) if res[0].r > 1 else np.inf
        rows.append(
            {
                "alpha": a,
                "r": res[0].r,
                "spacing x sqrt(N)": spacing * np.sqrt(N),
                "max error, first order": max(np.abs(x.observed - x.first_order).max() for x in res),
                "max error, equivalent": max(np.abs(x.observed - x.equivalent).max() for x in res),
                "t, first order": t_statistic(fo),
                "t, equivalent": t_statistic(eq),
            }
        )
    return pd.DataFrame(rows).set_index("alpha"), runs


def overlap_table(runs) -> pd.DataFrame:
    """Observed and first-order squared overlaps of the top singular vectors, one row per outlier and
    side (``left (N-side)``, ``right (M-side)``), from :func:`rectangular_growing_outliers` results
    drawn with ``overlaps``."""
    return pd.DataFrame(
        [
            {"s": s, "side": side, "observed": o, "predicted": p}
            for x in runs
            for side, obs, pred in (
                ("left (N-side)", x.overlap_left, x.predicted_overlap_left),
                ("right (M-side)", x.overlap_right, x.predicted_overlap_right),
            )
            for s, o, p in zip(x.s_outliers[::-1], obs, pred, strict=True)
        ]
    )


def error_slopes(study: pd.DataFrame, *, alphas, errors, rng) -> pd.DataFrame:
    """For each ``alpha`` and each error column of ``errors``, the fitted exponent of the error against
    ``N`` over the rows of ``study`` (one per matrix) with its bootstrap interval
    (:func:`~rmtlib.experiments.statistics.loglog_slope_interval`, drawing from ``rng``): columns
    ``alpha``, ``error``, ``slope``, ``low``, ``high``."""
    check_generator(rng)
    rows = []
    for a in alphas:
        part = study[study["alpha"] == a]
        for e in errors:
            rows.append({"alpha": a, "error": e, **loglog_slope_interval(part, x="N", y=e, rng=rng)})
    return pd.DataFrame(rows)


def rectangular_growing_verdicts(
    bulk: dict, runs: dict, crowded_runs, overlap_runs, *, seeds: int
) -> list[dict]:
    """T8: the bulk against the information-plus-noise law (:func:`bulk_table`), the outliers of
    the *many* family (``runs``, keyed by ``(N, alpha, replicate)``) and of the crowded family
    (``crowded_runs``) against their predictions (:func:`outlier_residual_test`, ``seeds``
    matrices per design), and the squared overlaps of ``overlap_runs`` against first order.
    Every test is a two-sided t-test of level 1e-3.

    Power against a noise variance ``sigma^2 (1 + delta)``: the bulk and outlier checks state
    ``noise_shift``, the derivative in ``delta`` of the mean prediction they test (finite
    differences of the deterministic equivalent and first order), with the test's standard error;
    the overlap checks state none.
    """
    seeds = check_int(seeds, "seeds", minimum=1)
    specs = []
    for res, row in zip(bulk.values(), bulk_table(bulk).to_dict("records"), strict=True):
        specs.append(
            {
                "theorem": "T8",
                "quantity": "bulk singular values vs information-plus-noise law, "
                f"gamma = {row['gamma']:g}: mean error",
                "predicted": 0.0,
                "observed": float(row["mean error"]),
                "tolerance": float(row["tolerance"]),
                "N": res.N,
                "seeds": res.observed.shape[0],
                "detectable": float(row["detectable"]),
                "note": "t-test over draws, level 1e-3",
                "noise_shift": res.noise_slope(),
                "standard_error": float(row["standard error"]),
                "noise_dof": res.observed.shape[0] - 1,
            }
        )
    largest = max(n for n, _, _ in runs)
    crowded_N = crowded_runs[0].N
    outlier_tests = {
        "many outliers: sqrt(N) mean (s_j - deterministic equivalent) per matrix, all N and alpha": (
            outlier_residual_test(runs.values(), "equivalent"),
            largest,
        ),
        "many outliers: sqrt(N) mean (s_j - first order) per matrix, alpha <= 1/4": (
            outlier_residual_test([x for (n, a, k), x in runs.items() if a <= 0.25], "first_order"),
            largest,
        ),
        "crowded outliers: sqrt(N) mean (s_j - deterministic equivalent) per matrix, all alpha": (
            outlier_residual_test(crowded_runs, "equivalent"),
            crowded_N,
        ),
    }
    for quantity, (test, n_rows) in outlier_tests.items():
        specs.append(
            {
                "theorem": "T8",
                "quantity": quantity,
                "predicted": 0.0,
                "observed": test["mean"],
                "tolerance": test["tolerance"],
                "N": n_rows,
                "seeds": seeds,
                "detectable": test["detectable"],
                "note": f"t-test over {test['count']} matrices, level 1e-3",
                "noise_shift": test["noise_shift"],
                "standard_error": test["se"],
                "noise_dof": test["count"] - 1,
            }
        )
    overlap_runs = list(overlap_runs)
    for side, part in overlap_table(overlap_runs).groupby("side"):
        test = pooled_t_check(
            (part["observed"] - part["predicted"]).to_numpy(),
            scale=part["predicted"].mean(),
            units="outliers",
        )
        specs.append(
            {
                "theorem": "T8",
                "quantity": f"overlaps {side}: observed - first order",
                **test,
                "N": overlap_runs[0].N,
                "seeds": len(overlap_runs),
            }
        )
    return specs


def error_study(runs: dict) -> pd.DataFrame:
    """One row per matrix of ``runs`` (keyed by ``(N, alpha, replicate)``, values
    :class:`RectangularGrowing`): the key and :func:`outlier_error_summary`."""
    return pd.DataFrame(
        [
            {"N": n, "alpha": a, "replicate": k, **outlier_error_summary(res)}
            for (n, a, k), res in runs.items()
        ]
    )
