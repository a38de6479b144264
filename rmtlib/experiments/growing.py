"""Experiments of chapter T5: full-rank S with a number of outliers that grows with N.

Each function is one simulation that the chapter plots or checks, written so that a sweep
can call it too: keyword-only parameters, the randomness from the required keyword
``rng``, and a ``dict`` of floats (or a small frozen result) out.

Three designs of the outliers ``theta_j`` of ``S`` (:func:`outlier_design`) separate
*many* outliers from *crowded* ones:

``"many"``
    ``r = round(N^alpha)`` outliers with a fixed spacing, ``theta_low + k spacing``:
    their number grows, they spread over a growing range, their spacing does not shrink;
``"crowded"``
    a fixed number ``n_crowded`` of outliers around ``theta_center`` whose spacing
    shrinks like ``N^(-beta)``: ``spacing (N / 250)^(-beta)``;
``"interval"``
    ``r = round(N^alpha)`` outliers equally spaced in the fixed ``[theta_low,
    theta_high]``: many *and* crowded at once (spacing ``(theta_high - theta_low)/(r - 1)``).

Three predictions of the outliers of ``H`` (:class:`GrowingOutliers`): the first order
``H_sigma(theta_j)`` with the limit law ``nu``; the leave-one-out correction
(:func:`leave_one_out_shift`); and the finite-N deterministic equivalent.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd
from scipy import special

from .. import free_convolution, laws, outliers, samplers, spectra
from .._validation import check_array, check_choice, check_generator, check_int, check_real
from .statistics import (
    VerdictSpec,
    bootstrap_slope,
    cluster_mean_test,
    count_test,
    standardized_mean_test,
    variance_test,
)

__all__ = [
    "FAMILIES",
    "FLUCTUATION_MODELS",
    "GrowingOutliers",
    "cluster_ends_table",
    "crossover_rank",
    "crossover_table",
    "end_of_cluster_shift",
    "error_slopes",
    "entry_excess_kurtosis",
    "growing_outliers",
    "growing_verdicts",
    "leave_one_out_shift",
    "lowest_outlier_table",
    "mean_squared_z_by_model",
    "outlier_design",
    "outlier_errors",
    "outlier_variance",
    "overlap_error_table",
    "rms_error_table",
    "t5_study",
    "variance_table",
]

FAMILIES = ("many", "crowded", "interval")
_CROWDED_REFERENCE_N = 250  # the crowded family has spacing `spacing` at this N


@dataclasses.dataclass(frozen=True)
class GrowingOutliers:
    """The ``r`` top eigenvalues of one ``H`` and their predictions (see :func:`growing_outliers`).

    All arrays have ``r`` entries in decreasing order of ``thetas``: ``observed``
    (eigenvalues of ``H``), ``first_order`` (``H_sigma(theta_j)`` with the limit law
    ``nu``), ``leave_one_out`` (first order plus :func:`leave_one_out_shift`),
    ``equivalent`` (the finite-N deterministic equivalent built from the exact
    spectrum of ``S``), ``sd`` (the predicted standard deviation of each outlier,
    :func:`outlier_variance` at the limit overlap), ``overlap_first_order``
    (``1 - sigma^2 ∫ dnu/(theta_j - x)^2``), ``overlap_equivalent`` (the same integral
    over the spectrum of ``S`` without ``theta_j``) and ``overlap_observed`` (squared
    projection of the eigenvector of ``lambda_j`` on that of ``theta_j``; ``nan``
    unless ``vectors=True``).
    """

    N: int
    r: int
    thetas: np.ndarray
    observed: np.ndarray
    first_order: np.ndarray
    leave_one_out: np.ndarray
    equivalent: np.ndarray
    sd: np.ndarray
    overlap_first_order: np.ndarray
    overlap_equivalent: np.ndarray
    overlap_observed: np.ndarray
    edge: float
    next_eigenvalue: float


def _bulk_law(bulk: str):
    check_choice(bulk, "bulk", ("uniform", "semicircle"))
    return laws.Uniform(low=-1.0, high=1.0) if bulk == "uniform" else laws.Semicircle(sigma=0.5)


def outlier_design(
    family: str,
    N: int,
    *,
    alpha: float = 0.0,
    beta: float = 0.0,
    theta_low: float = 2.0,
    theta_high: float = 4.0,
    spacing: float = 0.25,
    n_crowded: int = 6,
    theta_center: float = 3.0,
) -> np.ndarray:
    """The outliers ``theta_j`` of ``S`` of one family (module docstring), increasing.

    Examples
    --------
    >>> outlier_design("many", 256, alpha=0.25).tolist()
    [2.0, 2.25, 2.5, 2.75]
    >>> outlier_design("crowded", 1000, beta=0.5, n_crowded=3).tolist()
    [2.875, 3.0, 3.125]
    >>> outlier_design("interval", 100, alpha=0.5, theta_low=2.0, theta_high=4.0).size
    10
    """
    check_choice(family, "family", FAMILIES)
    N = check_int(N, "N", minimum=4)
    alpha = check_real(alpha, "alpha", minimum=0.0, maximum=1.0)
    beta = check_real(beta, "beta", minimum=0.0, maximum=2.0)
    spacing = check_real(spacing, "spacing", positive=True)
    if family == "crowded":
        r = check_int(n_crowded, "n_crowded", minimum=2)
        d = spacing * (N / _CROWDED_REFERENCE_N) ** (-beta)
        return check_real(theta_center, "theta_center") + d * (np.arange(r) - (r - 1) / 2)
    r = min(max(1, round(N**alpha)), N // 2)
    theta_low = check_real(theta_low, "theta_low")
    if family == "many":
        return theta_low + spacing * np.arange(r)
    theta_high = check_real(theta_high, "theta_high")
    if not theta_low < theta_high:
        raise ValueError(f"theta_low must be < theta_high, got {theta_low} and {theta_high}")
    return np.array([0.5 * (theta_low + theta_high)]) if r == 1 else np.linspace(theta_low, theta_high, r)


def leave_one_out_shift(thetas, N: int, nu, sigma: float) -> np.ndarray:
    """The first correction to ``H_sigma(theta_j)`` from the other outliers: an array like ``thetas``.

    The first-order prediction reads ``theta_j`` against the limit law ``nu`` with
    mass 1. The spectrum of ``S`` is ``N - r`` bulk values and the ``r - 1`` other
    outliers; replacing ``G_nu`` by the Cauchy transform of that spectrum (without
    ``theta_j`` itself) adds, to first order in ``r/N``,

    ``sigma^2/N sum_{k != j} 1/(theta_j - theta_k) - (r/N) sigma^2 G_nu(theta_j)``.

    Examples
    --------
    >>> from rmtlib.laws import DiscreteLaw
    >>> leave_one_out_shift([3.0, 4.0], 100, DiscreteLaw([0.0]), 1.0).round(6).tolist()
    [-0.016667, 0.005]
    """
    theta = check_array(thetas, "thetas", ndim=1, min_size=1)
    N = check_int(N, "N", minimum=theta.size)
    sigma = check_real(sigma, "sigma", positive=True)
    diff = theta[:, None] - theta[None, :]
    np.fill_diagonal(diff, np.inf)
    if np.any(diff == 0):
        raise ValueError("thetas must be distinct")
    G = -nu.stieltjes(theta + 0j).real
    return sigma**2 / N * (np.sum(1.0 / diff, axis=1) - theta.size * G)


def end_of_cluster_shift(r: int, N: int, *, width: float, sigma: float = 1.0) -> float:
    """Closed form of the leave-one-out sum at the ends of ``r`` equally spaced outliers.

    For ``r`` outliers equally spaced over an interval of length ``width`` (spacing
    ``d = width/(r - 1)``), ``sigma^2/N sum_{k != j} 1/(theta_j - theta_k)`` is
    ``sigma^2 (H_{j-1} - H_{r-j}) / (N d)`` for the ``j``-th from the bottom
    (``H_m`` the harmonic number): largest in size at the two ends, where it is
    ``sigma^2 (r - 1) H_{r-1} / (width N)``, about ``sigma^2 (r / (width N)) log r``
    (``(r/2N) log r`` for ``width = 2``, ``sigma = 1``). Returned: that size (top end
    pushed up, bottom end down); 0 for ``r = 1``.

    Examples
    --------
    >>> round(end_of_cluster_shift(3, 100, width=2.0), 6)  # (1/100)(1/1 + 1/2)
    0.015
    """
    r = check_int(r, "r", minimum=1)
    N = check_int(N, "N", minimum=r)
    width = check_real(width, "width", positive=True)
    sigma = check_real(sigma, "sigma", positive=True)
    if r == 1:
        return 0.0
    harmonic = float(special.digamma(r) + np.euler_gamma)  # H_{r-1}
    return sigma**2 * (r - 1) * harmonic / (width * N)


def crossover_rank(N: int, *, width: float, sigma: float = 1.0, level: float = 1.0) -> float:
    """The ``r`` at which :func:`end_of_cluster_shift` reaches ``level`` times ``sigma/sqrt(N)``.

    Below it the first-order prediction is within the fluctuations at the ends of the
    cluster; above it, it is biased by more. With the leading term ``(r/(width N))
    log r`` this is ``r log r ~ width sqrt(N) / sigma`` (``2 sqrt(N)`` for the interval
    ``[2, 4]``, ``sigma = 1``). Solved with the exact harmonic sum, ``r`` real.

    Examples
    --------
    >>> r = crossover_rank(2000, width=2.0)
    >>> round(r, 2), round(end_of_cluster_shift(round(r), 2000, width=2.0) * 2000**0.5, 1)
    (24.75, 1.0)
    """
    N = check_int(N, "N", minimum=4)
    width = check_real(width, "width", positive=True)
    sigma = check_real(sigma, "sigma", positive=True)
    level = check_real(level, "level", positive=True)
    target = level * sigma / np.sqrt(N)

    def shift(r):  # continuous in r
        return sigma**2 * (r - 1) * (special.digamma(r) + np.euler_gamma) / (width * N)

    lo, hi = 1.0, float(N)
    if shift(hi) < target:
        raise ValueError(f"the end-of-cluster shift stays below {level} sigma/sqrt(N) for every r <= N")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if shift(mid) < target else (lo, mid)
    return 0.5 * (lo + hi)


def entry_excess_kurtosis(entries: str = "gaussian", *, df: float = 5.0, sparsity: float = 0.9) -> float:
    """Excess kurtosis ``E x^4 - 3`` of the unit-variance entries of :mod:`rmtlib.samplers`.

    Examples
    --------
    >>> [entry_excess_kurtosis(law) for law in ("gaussian", "rademacher", "uniform")]
    [0.0, -2.0, -1.2]
    """
    check_choice(entries, "entries", samplers.ENTRY_LAWS)
    if entries == "gaussian":
        return 0.0
    if entries == "rademacher":
        return -2.0
    if entries == "uniform":
        return -1.2
    if entries == "student_t":
        df = check_real(df, "df")
        if df <= 4:
            raise ValueError(f"df must be > 4 for a finite fourth moment, got {df}")
        return 6.0 / (df - 4.0)
    sparsity = check_real(sparsity, "sparsity", minimum=0.0, maximum=0.999)
    return 1.0 / (1.0 - sparsity) - 3.0


def outlier_variance(
    overlap, cauchy, *, N: int, sigma: float = 1.0, basis: str = "diagonal", kurtosis: float = 0.0
):
    """Variance of one separated outlier ``lambda_j`` of ``H = W + S``, to leading order in ``1/N``.

    The Schur-complement expansion around the eigenvector ``v`` of ``theta_j`` gives
    ``(lambda_j - rho_j) / o = <v, W v> - xi``, ``o`` the overlap
    (``1 - sigma^2 ∫ dnu/(theta - x)^2``) and ``xi`` the centred quadratic form of the
    other coordinates in the resolvent. With ``kappa`` the excess kurtosis of the
    entries and ``G = G_nu(theta_j)`` (``cauchy``):

    * ``basis="diagonal"`` (``v`` a basis vector): ``sigma^2/N (o (2 - o) + kappa o^2 (1 - o))``;
    * ``basis="haar"`` (``v`` delocalized): ``sigma^2/N (2 o + kappa sigma^2 o^2 G^2)``.

    For Gaussian entries these are the two values of
    :func:`~rmtlib.experiments.statistics.outlier_fluctuation_variance`, divided by ``N``.

    Examples
    --------
    >>> float(outlier_variance(0.75, 0.5, N=100))  # sigma^2 o (2 - o) / N
    0.009375
    >>> float(outlier_variance(0.75, 0.5, N=100, basis="haar"))
    0.015
    """
    o = check_array(overlap, "overlap")
    if np.any((o <= 0) | (o > 1)):
        raise ValueError("overlap must lie in (0, 1] (a separated outlier)")
    G = check_array(cauchy, "cauchy")
    N = check_int(N, "N", minimum=1)
    sigma = check_real(sigma, "sigma", positive=True)
    check_choice(basis, "basis", ("diagonal", "haar"))
    kurtosis = check_real(kurtosis, "kurtosis", minimum=-2.0)
    if basis == "diagonal":
        return sigma**2 / N * (o * (2 - o) + kurtosis * o**2 * (1 - o))
    return sigma**2 / N * (2 * o + kurtosis * sigma**2 * o**2 * G**2)


@functools.lru_cache(maxsize=64)
def _equivalent_top(thetas: tuple, N: int, sigma: float, bulk: str) -> np.ndarray:
    """The ``r`` largest eigenvalue locations of the deterministic equivalent, decreasing.

    ``S`` is deterministic, so the result is cached and shared by all matrices of a study.
    """
    s = samplers.spectrum_with_outliers(N, bulk=_bulk_law(bulk), outliers=np.array(thetas))
    top = outliers.deterministic_equivalent(s, sigma).largest(len(thetas))
    top.flags.writeable = False
    return top


def growing_outliers(
    *,
    N: int,
    family: str = "interval",
    sigma: float = 1.0,
    bulk: str = "uniform",
    basis: str = "diagonal",
    entries: str = "gaussian",
    noise_variance_factor: float = 1.0,
    vectors: bool = False,
    rng,
    **design,
) -> GrowingOutliers:
    """``H = W + S``, ``S`` with the ``N - r`` quantiles of ``nu`` and the outliers of one family.

    ``nu`` is ``bulk`` (``"uniform"``: ``Uniform[-1, 1]``; ``"semicircle"``: semicircle
    of radius 1); the outliers are :func:`outlier_design` of ``family``, with its
    keyword parameters ``design`` (``alpha``, ``beta``, ``theta_low``, ...; all outliers
    must lie above the separation threshold). ``S = diag(s)`` (``basis="diagonal"``) or
    ``O diag(s) O^T`` with Haar ``O`` (``basis="haar"``); ``W`` has the entry law
    ``entries`` with variance ``noise_variance_factor * sigma^2`` per entry (times
    ``1/N``): the factor changes the data only, never the predictions, which use
    ``sigma``. With ``vectors=True`` the eigenvectors of the outliers are computed
    and their overlaps returned.

    Examples
    --------
    >>> import numpy as np
    >>> res = growing_outliers(N=400, alpha=0.5, rng=np.random.default_rng(0))
    >>> res.r, bool(res.next_eigenvalue < res.edge + 0.2)
    (20, True)
    >>> bool(np.max(np.abs(res.observed - res.equivalent) / res.sd) < 4)
    True
    """
    N = check_int(N, "N", minimum=4)
    sigma = check_real(sigma, "sigma", positive=True)
    factor = check_real(noise_variance_factor, "noise_variance_factor", positive=True)
    nu = _bulk_law(bulk)
    check_choice(basis, "basis", ("diagonal", "haar"))
    kurtosis = entry_excess_kurtosis(entries)
    check_generator(rng)
    thetas = outlier_design(family, N, **design)
    r = thetas.size
    prediction = outliers.predict_outliers(thetas, nu, sigma)
    if not np.all(prediction.separated):
        raise ValueError(
            f"the lowest outlier {thetas.min():.4g} is below the threshold {prediction.threshold_right:.4g} "
            f"for bulk = {bulk!r}, sigma = {sigma}: every outlier must separate "
            "(raise theta_low or theta_center)"
        )
    s = samplers.spectrum_with_outliers(N, bulk=nu, outliers=thetas)
    H, U = samplers.deformed_wigner(
        s, sigma=sigma * np.sqrt(factor), basis=basis, entries=entries, return_basis=True, rng=rng
    )
    order = np.argsort(thetas)[::-1]  # decreasing
    if vectors:
        values, vecs = spectra.top_eigvalsh(H, r + 1, return_vectors=True)
        values, vecs = values[::-1], vecs[:, ::-1]
        directions = U[:, N - r :][:, order]  # eigenvectors of theta_j of S, decreasing theta
        overlap_observed = np.sum(directions * vecs[:, :r], axis=0) ** 2
    else:
        values = np.sort(spectra.top_eigvalsh(H, r + 1))[::-1]
        overlap_observed = np.full(r, np.nan)
    theta_dec = thetas[order]
    G = -nu.stieltjes(theta_dec + 0j).real
    integral = nu.stieltjes_derivative(theta_dec + 0j).real  # ∫ dnu/(theta - x)^2
    diff = theta_dec[:, None] - theta_dec[None, :]
    np.fill_diagonal(diff, np.inf)
    overlap_equivalent = 1 - sigma**2 * ((1 - r / N) * integral + np.sum(diff**-2.0, axis=1) / N)
    overlap_first = np.asarray(prediction.overlap, dtype=float)[order]
    variance = outlier_variance(overlap_first, G, N=N, sigma=sigma, basis=basis, kurtosis=kurtosis)
    first = np.asarray(prediction.rho, dtype=float)[order]
    return GrowingOutliers(
        N=N,
        r=r,
        thetas=theta_dec,
        observed=values[:r],
        first_order=first,
        leave_one_out=first + leave_one_out_shift(theta_dec, N, nu, sigma),
        equivalent=np.array(_equivalent_top(tuple(thetas.tolist()), N, sigma, bulk)),
        sd=np.sqrt(variance),
        overlap_first_order=overlap_first,
        overlap_equivalent=overlap_equivalent,
        overlap_observed=overlap_observed,
        edge=float(free_convolution.FreeConvolutionSemicircle(nu, sigma).support()[-1][1]),
        next_eigenvalue=float(values[r]),
    )


PREDICTORS = ("first_order", "leave_one_out", "equivalent")


def outlier_errors(*, rng, **params) -> dict[str, float]:
    """Errors of the three predictions for the outliers of one :func:`growing_outliers` matrix.

    ``params`` are the keyword parameters of :func:`growing_outliers` (``N`` is required).

    Returns
    -------
    dict
        ``r``; for each predictor ``P`` in ``first_order``, ``leave_one_out``,
        ``equivalent``: ``max_error_P`` and ``mean_error_P`` (``max_j`` and mean of
        ``|lambda_j - P_j|``), ``z_sum_P`` and ``z_sq_P`` (sum and sum of squares of
        the standardized errors ``(lambda_j - P_j)/sd_j`` over the outliers),
        ``z_bottom_P`` and ``z_top_P`` (the standardized errors of the lowest and the
        highest outlier); ``fluctuation`` =
        ``sigma/sqrt(N)``; ``min_spacing`` (of the ``theta_j``, ``inf`` for ``r =
        1``); ``bias_bottom`` (the leave-one-out shift of the lowest outlier, in
        standard deviations; ``bias_top`` the same for the highest), ``displacement_sum`` (sum of
        ``(H_sigma(theta_j) - theta_j)/sd_j``: the mean shift, in standard deviations,
        that a relative error of 1 in the displacement ``rho - theta``, i.e. in
        ``sigma^2``, would cause); with ``vectors=True`` also ``overlap_sum_P`` and
        ``overlap_sq_P`` for ``P`` in ``first_order``, ``equivalent`` (sum and sum of
        squares of observed minus predicted overlaps) and ``overlap_deficit_sum``
        (sum of ``1 - overlap``: the effect of a relative error of 1 in
        ``sigma^2 ∫ dnu/(theta - x)^2``).

    Examples
    --------
    >>> import numpy as np
    >>> out = outlier_errors(N=300, alpha=0.25, rng=np.random.default_rng(2))
    >>> out["r"], out["max_error_first_order"] < 6 * out["fluctuation"]
    (4.0, True)
    """
    res = growing_outliers(rng=rng, **params)
    sigma = params.get("sigma", 1.0)
    out: dict[str, float] = {"r": float(res.r)}
    fluctuation = sigma / np.sqrt(res.N)
    for name in PREDICTORS:
        err = res.observed - getattr(res, name)
        z = err / res.sd
        out[f"max_error_{name}"] = float(np.max(np.abs(err)))
        out[f"mean_error_{name}"] = float(np.mean(np.abs(err)))
        out[f"z_sum_{name}"] = float(z.sum())
        out[f"z_sq_{name}"] = float(np.sum(z**2))
        out[f"z_bottom_{name}"] = float(z[-1])
        out[f"z_top_{name}"] = float(z[0])
    out["fluctuation"] = float(fluctuation)
    out["min_spacing"] = float(np.min(-np.diff(res.thetas))) if res.r > 1 else float("inf")
    out["bias_bottom"] = float((res.leave_one_out[-1] - res.first_order[-1]) / res.sd[-1])
    out["bias_top"] = float((res.leave_one_out[0] - res.first_order[0]) / res.sd[0])
    out["displacement_sum"] = float(np.sum((res.first_order - res.thetas) / res.sd))
    if params.get("vectors", False):
        for name in ("first_order", "equivalent"):
            diff = res.overlap_observed - getattr(res, f"overlap_{name}")
            out[f"overlap_sum_{name}"] = float(diff.sum())
            out[f"overlap_sq_{name}"] = float(np.sum(diff**2))
        out["overlap_deficit_sum"] = float(np.sum(1.0 - res.overlap_equivalent))
    return out


# the fluctuation study: four well separated outliers 2, 3, 4, 5 under three noise models
FLUCTUATION_MODELS = {
    "diagonal S, Gaussian": {"basis": "diagonal", "entries": "gaussian"},
    "Haar S, Gaussian": {"basis": "haar", "entries": "gaussian"},
    "diagonal S, Rademacher": {"basis": "diagonal", "entries": "rademacher"},
}


_FLUCTUATION_DESIGN = {"family": "crowded", "beta": 0.0, "spacing": 1.0, "n_crowded": 4, "theta_center": 3.5}


def _verdict(
    quantity: str, test: VerdictSpec, N: int, seeds: int, note: str, noise_shift: float | None = None
) -> VerdictSpec:
    """The keyword arguments of :func:`rmtlib.verdict.check` for one T5 verdict: the test's numbers
    and what it is about (``seeds`` counts matrices); with ``noise_shift`` (the statistic's change
    per unit relative error in the noise variance) also the test's standard error."""
    power = {}
    if noise_shift is not None:
        power = {"noise_shift": noise_shift, "standard_error": test["standard_error"]}
        if "noise_dof" in test:
            power["noise_dof"] = test["noise_dof"]
    return VerdictSpec(
        theorem="T5",
        quantity=quantity,
        N=N,
        seeds=seeds,
        note=note,
        **{k: test[k] for k in ("predicted", "observed", "tolerance", "detectable")},
        **power,
    )


def t5_study(
    *,
    sizes,
    alphas,
    betas,
    seeds: int,
    dense_N: int,
    dense_alphas,
    fluct_N: int,
    fluct_seeds: int,
    sigma: float = 1.0,
    spacing: float = 0.25,
    noise_variance_factor: float = 1.0,
    many_rows=None,
    rng,
):
    """All simulations of chapter T5, one row per matrix (a pandas DataFrame).

    Columns: ``study`` (``"many"``, ``"crowded"``, ``"fluctuation"``, ``"crossover"``),
    ``model`` (the noise model of the fluctuation study, ``""`` elsewhere), ``N``,
    ``exponent`` (``alpha`` or ``beta``), ``replicate`` and the metrics of
    :func:`outlier_errors`. ``many_rows`` (a DataFrame with the
    columns of the many study, e.g. from a sweep store) replaces that study.
    ``noise_variance_factor`` multiplies the noise variance of every matrix.
    """
    check_generator(rng)
    seeds = check_int(seeds, "seeds", minimum=2)
    fluct_seeds = check_int(fluct_seeds, "fluct_seeds", minimum=2)
    sigma = check_real(sigma, "sigma", positive=True)
    common = {"sigma": sigma, "noise_variance_factor": noise_variance_factor}
    rows = []

    def run(study, model, N, exponent, k, **params):
        out = outlier_errors(N=N, rng=rng, **common, **params)
        rows.append({"study": study, "model": model, "N": N, "exponent": exponent, "replicate": k, **out})

    if many_rows is None:
        for N in sizes:
            for a in alphas:
                for k in range(seeds):
                    run("many", "", N, a, k, family="many", alpha=a, spacing=spacing, vectors=True)
    for N in sizes:
        for b in betas:
            for k in range(seeds):
                run("crowded", "", N, b, k, family="crowded", beta=b, spacing=spacing)
    for model, params in FLUCTUATION_MODELS.items():
        for k in range(fluct_seeds):
            run("fluctuation", model, fluct_N, 0.0, k, **_FLUCTUATION_DESIGN, **params)
    for a in dense_alphas:
        for k in range(seeds):
            run("crossover", "", dense_N, a, k, family="interval", alpha=a)
    study = pd.DataFrame(rows)
    if many_rows is not None:
        many = many_rows.assign(study="many", model="", exponent=many_rows["alpha"])
        study = pd.concat([many, study], ignore_index=True)
    return study


def _location(rows, predictor: str, quantity: str, note: str, level: float) -> VerdictSpec:
    """Mean standardized location error; a noise variance ``sigma^2 (1 + delta)`` moves it by
    ``effect delta`` (``effect``: the mean of ``(H_sigma(theta_j) - theta_j)/sd_j``, first order)."""
    n = int(rows["r"].sum())
    effect = float(rows["displacement_sum"].sum()) / n
    test = standardized_mean_test(float(rows[f"z_sum_{predictor}"].sum()), n, effect=abs(effect), level=level)
    return _verdict(quantity, test, int(rows["N"].max()), len(rows), note, noise_shift=effect)


def _shift(observed, predicted, sd: float, quantity: str, N: int, note: str, level: float) -> VerdictSpec:
    """Observed mean standardized end error against the mean predicted leave-one-out shift."""
    observed = np.asarray(observed, dtype=float)
    pred = float(np.mean(predicted))
    test = standardized_mean_test(
        float(observed.sum()), observed.size, predicted=pred, effect=max(abs(pred), 1e-12), sd=sd, level=level
    )
    return _verdict(quantity, test, N, int(observed.size), note)


def growing_verdicts(
    study, absorbed=None, *, absorbed_N: int | None = None, level: float = 1e-3
) -> list[VerdictSpec]:
    """The chapter's verdicts, computed from a :func:`t5_study` table (and, given ``absorbed``, a
    :class:`~rmtlib.experiments.full_rank.OutlierComparison` with outliers of ``S`` on both sides of
    the threshold, drawn at size ``absorbed_N``: the count of eigenvalues outside the bulk).

    * *many* family at the largest ``N``: mean standardized error of the deterministic
      equivalent and of the leave-one-out prediction (all ``alpha``), of the first order
      where it holds (``alpha < 1/2``); for the largest ``alpha >= 1/2``, the first-order
      error of the lowest outlier (all ``N``) must equal the leave-one-out shift (the
      first order fails by the predicted amount); eigenvector overlaps against their
      finite-N deterministic equivalent; bootstrap slopes of the scaled RMS error
      against ``N`` (``-1/2``) for the equivalent (all ``alpha``) and the first order
      (``alpha < 1/2``).
    * *crowded* family: mean standardized error of the equivalent (all ``beta``, all
      ``N``); at the largest ``beta``, the first-order error at the two ends of the
      cluster against the leave-one-out shift.
    * fluctuation study: for each noise model, mean and chi-square of the standardized
      errors of the equivalent with that model's variance.
    * crossover study: the first-order error of the lowest outlier against the closed-form
      shift, where the spacing is at least the fluctuation scale ``sigma/sqrt(N)``.

    Every mean test has level ``level`` (two-sided) and unit variance per outlier.
    """
    checks: list[VerdictSpec] = []
    many = study[study["study"] == "many"]
    if len(many):
        top = many[many["N"] == many["N"].max()]
        checks.append(
            _location(
                top,
                "equivalent",
                "deterministic equivalent, many outliers: mean standardized error",
                "all alpha at the largest N",
                level,
            )
        )
        checks.append(
            _location(
                top,
                "leave_one_out",
                "leave-one-out prediction, many outliers: mean standardized error",
                "all alpha at the largest N",
                level,
            )
        )
        holds = top[top["exponent"] < 0.5]
        if len(holds):
            checks.append(
                _location(
                    holds,
                    "first_order",
                    "first order H_sigma(theta), alpha < 1/2: mean standardized error",
                    "where the theory says it holds",
                    level,
                )
            )
        a_max = float(many["exponent"].max())
        if a_max >= 0.5:
            rows = many[many["exponent"] == a_max]
            checks.append(
                _shift(
                    rows["z_bottom_first_order"],
                    rows["bias_bottom"],
                    1.0,
                    f"first order fails at alpha = {a_max:g}: error of the lowest outlier (sd units)",
                    int(rows["N"].max()),
                    "predicted: the leave-one-out shift, all N",
                    level,
                )
            )
        if "overlap_sum_equivalent" in top.columns and top["overlap_sum_equivalent"].notna().all():
            test = cluster_mean_test(
                top["overlap_sum_equivalent"],
                top["r"],
                effect=float(top["overlap_deficit_sum"].sum() / top["r"].sum()),
                level=level,
            )
            checks.append(
                _verdict(
                    "eigenvector overlaps, many outliers: mean error against the deterministic equivalent",
                    test,
                    int(top["N"].max()),
                    len(top),
                    "all alpha at the largest N; t-test over matrices",
                    # 1 - overlap is proportional to sigma^2 (first order): overlaps move by -(1 - o) delta
                    noise_shift=-float(top["overlap_deficit_sum"].sum() / top["r"].sum()),
                )
            )
        for predictor, rows, label in (
            ("equivalent", many, "all alpha"),
            ("first_order", many[many["exponent"] < 0.5], "alpha < 1/2"),
        ):
            test, ci = _slope(rows, predictor, level)
            checks.append(
                _verdict(
                    f"slope of the scaled RMS error of the {predictor.replace('_', ' ')} ({label})",
                    test,
                    int(rows["N"].max()),
                    len(rows),
                    f"bootstrap over seeds, 95% interval [{ci[0]:.3f}, {ci[1]:.3f}]; tolerance from the "
                    "larger of the bootstrap and the known standard error",
                )
            )
    crowded = study[study["study"] == "crowded"]
    if len(crowded):
        checks.append(
            _location(
                crowded,
                "equivalent",
                "deterministic equivalent, crowded outliers: mean standardized error",
                "all beta, all N",
                level,
            )
        )
        b_max = float(crowded["exponent"].max())
        rows = crowded[crowded["exponent"] == b_max]
        observed = 0.5 * (rows["z_top_first_order"] - rows["z_bottom_first_order"]).to_numpy()
        predicted = 0.5 * (rows["bias_top"] - rows["bias_bottom"]).to_numpy()
        checks.append(
            _shift(
                observed,
                predicted,
                np.sqrt(0.5),
                f"first order, crowded beta = {b_max:g}: end-of-cluster error (sd units)",
                int(rows["N"].max()),
                "predicted: the leave-one-out shift, all N",
                level,
            )
        )
    fluct = study[study["study"] == "fluctuation"]
    for model in FLUCTUATION_MODELS:
        rows = fluct[fluct["model"] == model]
        if not len(rows):
            continue
        checks.append(
            _location(
                rows, "equivalent", f"{model}: mean standardized error", "four outliers 2, 3, 4, 5", level
            )
        )
        n = int(rows["r"].sum())
        checks.append(
            _verdict(
                f"{model}: mean squared standardized error (its variance formula)",
                variance_test(float(rows["z_sq_equivalent"].sum()), n, level=level),
                int(rows["N"].max()),
                len(rows),
                "chi-square, two-sided",
            )
        )
    cross = study[study["study"] == "crossover"]
    if len(cross):
        rows = cross[(cross["min_spacing"] >= cross["fluctuation"]) & (cross["r"] > 1)]
        checks.append(
            _shift(
                rows["z_bottom_first_order"],
                rows["bias_bottom"],
                1.0,
                "first-order error of the lowest outlier against the closed-form shift (sd units)",
                int(rows["N"].max()),
                "outliers equally spaced in [2, 4], spacing >= sigma/sqrt(N)",
                level,
            )
        )
        checks.append(
            _location(
                cross,
                "equivalent",
                "deterministic equivalent, outliers in [2, 4]: mean standardized error",
                "every r, crowded ones included",
                level,
            )
        )
    if absorbed is not None:
        checks.append(
            VerdictSpec(
                theorem="T5",
                quantity="eigenvalues outside the bulk with subcritical outliers",
                N=check_int(absorbed_N, "absorbed_N", minimum=2),
                **count_test(absorbed.count_predicted, absorbed.count_observed),
            )
        )
    return checks


def _mean_squared_error_per_seed(rows, predictor: str) -> np.ndarray:
    """Per replicate, the mean over its outliers of the squared error of ``predictor``, as a column."""
    per_seed = rows.groupby("replicate").apply(
        lambda g: float((g[f"z_sq_{predictor}"] * g["fluctuation"] ** 2).sum() / g["r"].sum()),
        include_groups=False,
    )
    return per_seed.to_numpy()[:, None]


def _slope(rows, predictor: str, level: float):
    sizes = sorted(rows["N"].unique())
    groups = [_mean_squared_error_per_seed(rows[rows["N"] == N], predictor) for N in sizes]
    counts = [float(rows[rows["N"] == N]["r"].sum()) for N in sizes]
    return bootstrap_slope(np.array(sizes, dtype=float), groups, predicted=-0.5, counts=counts, level=level)


def error_slopes(many, predictors: dict) -> pd.DataFrame:
    """Fitted exponents of the errors of each prediction against ``N`` in the *many* family, one row
    per ``(alpha, prediction)``: the root-mean-square error (:func:`t5_study` columns) and the largest
    error per matrix, each with its 95% bootstrap interval over seeds
    (:func:`~rmtlib.experiments.statistics.bootstrap_slope`). ``predictors`` maps the column suffix of
    a prediction (``"first_order"``, ...) to its label."""
    rows = []
    for a in sorted(many["exponent"].unique()):
        part = many[many["exponent"] == a]
        sizes = sorted(part["N"].unique())
        for p, label in predictors.items():
            groups = [_mean_squared_error_per_seed(part[part["N"] == n], p) for n in sizes]
            test, ci = bootstrap_slope(sizes, groups, predicted=-0.5)
            max_groups = [part[part["N"] == n][f"max_error_{p}"].to_numpy()[:, None] ** 2 for n in sizes]
            max_test, max_ci = bootstrap_slope(sizes, max_groups, predicted=-0.5)
            rows.append(
                {
                    "alpha": a,
                    "prediction": label,
                    "RMS slope": test.observed,
                    "RMS 95% interval": f"[{ci[0]:.2f}, {ci[1]:.2f}]",
                    "max-error slope": max_test.observed,
                    "max 95% interval": f"[{max_ci[0]:.2f}, {max_ci[1]:.2f}]",
                }
            )
    return pd.DataFrame(rows).set_index(["alpha", "prediction"])


# ----------------------------------------------------------------------------- the chapter's tables


def rms_error_table(many, predictors: dict) -> pd.DataFrame:
    """Root-mean-square standardized error of each prediction in the *many* family, one row per
    ``(alpha, N)``: ``sqrt(sum of z^2 / number of outliers)`` over the matrices of the row, and the
    number of outliers ``r``. ``predictors`` maps a column suffix (``"first_order"``) to its label."""
    table = many.groupby(["exponent", "N"]).apply(
        lambda g: pd.Series(
            {
                **{
                    f"rms z, {label}": np.sqrt(g[f"z_sq_{p}"].sum() / g["r"].sum())
                    for p, label in predictors.items()
                },
                "r": int(g["r"].iloc[0]),
            }
        ),
        include_groups=False,
    )
    table.index.names = ["alpha", "N"]
    return table


def lowest_outlier_table(many) -> pd.DataFrame:
    """Mean standardized error of the lowest outlier per ``(alpha, N)``: first order, its predicted
    leave-one-out shift, and the deterministic equivalent."""
    table = many.groupby(["exponent", "N"])[
        ["z_bottom_first_order", "bias_bottom", "z_bottom_equivalent"]
    ].mean()
    table.index.names = ["alpha", "N"]
    table.columns = ["first order, observed", "leave-one-out shift (predicted)", "det. equivalent, observed"]
    return table


def cluster_ends_table(crowded) -> pd.DataFrame:
    """The crowded family per ``(beta, N)``, means over seeds in sd units: the first-order error at the
    top and bottom ends of the cluster (``observed_*``) and its predicted leave-one-out shift
    (``bias_*``), the smallest spacing, and the deterministic equivalent's error at both ends."""
    ends = (
        crowded.assign(
            observed_top=crowded["z_top_first_order"],
            observed_bottom=crowded["z_bottom_first_order"],
            spacing_in_sd=crowded["min_spacing"] / crowded["fluctuation"],
        )
        .groupby(["exponent", "N"])[
            [
                "observed_top",
                "bias_top",
                "observed_bottom",
                "bias_bottom",
                "spacing_in_sd",
                "z_top_equivalent",
                "z_bottom_equivalent",
            ]
        ]
        .mean()
    )
    ends.index.names = ["beta", "N"]
    return ends


def crossover_table(cross, *, N: int, sigma: float) -> pd.DataFrame:
    """The interval family at one ``N``, one row per number of outliers ``r`` (an ``int`` index): the
    lowest outlier's mean standardized error of each prediction and its predicted leave-one-out shift,
    the closed form ``(r-1) H_(r-1) / (2N)`` of that shift in sd (:func:`end_of_cluster_shift`), and the
    root-mean-square standardized error over all outliers of the first order and the equivalent."""
    table = cross.groupby("r")[
        ["z_bottom_first_order", "bias_bottom", "z_bottom_leave_one_out", "z_bottom_equivalent"]
    ].mean()
    table["closed form (r-1) H_(r-1) / (2N) / sd"] = [
        end_of_cluster_shift(int(r), N, width=2.0, sigma=sigma) / (sigma / np.sqrt(N)) for r in table.index
    ]
    squares = cross.groupby("r")[["z_sq_first_order", "z_sq_equivalent"]].sum()
    outliers_per_r = cross.groupby("r")["r"].sum()
    table["rms z, first order"] = np.sqrt(squares["z_sq_first_order"] / outliers_per_r)
    table["rms z, equivalent"] = np.sqrt(squares["z_sq_equivalent"] / outliers_per_r)
    table.index = table.index.astype(int)
    return table


def variance_table(thetas, nu, *, N: int, sigma: float) -> pd.DataFrame:
    """Predicted ``N Var(lambda_j)`` of the outliers ``thetas`` of ``S`` over the bulk law ``nu``, one
    column per noise model of :data:`FLUCTUATION_MODELS` (:func:`outlier_variance`), with the squared
    overlap ``o`` of each outlier; indexed by ``theta``."""
    prediction = outliers.predict_outliers(thetas, nu, sigma)
    G = -nu.stieltjes(prediction.theta + 0j).real
    return pd.DataFrame(
        {
            "overlap o": prediction.overlap,
            **{
                model: N
                * outlier_variance(
                    prediction.overlap,
                    G,
                    N=N,
                    sigma=sigma,
                    basis=params["basis"],
                    kurtosis=entry_excess_kurtosis(params["entries"]),
                )
                for model, params in FLUCTUATION_MODELS.items()
            },
        },
        index=pd.Index(prediction.theta, name="theta"),
    )


def mean_squared_z_by_model(fluct) -> pd.Series:
    """Per noise model of the fluctuation study, the mean squared standardized error of the
    deterministic equivalent over all outliers (1 = the model's own variance formula)."""
    return fluct.groupby("model").apply(
        lambda g: g["z_sq_equivalent"].sum() / g["r"].sum(), include_groups=False
    )


def overlap_error_table(many) -> pd.DataFrame:
    """Squared eigenvector overlaps of the *many* family at its largest ``N``, observed minus predicted,
    one row per ``alpha``: the number of outliers, the mean error of the limit formula and of the
    deterministic equivalent, and the root-mean-square error of the equivalent, over all outliers."""
    top = many[many["N"] == many["N"].max()]
    table = top.groupby("exponent").apply(
        lambda g: pd.Series(
            {
                "outliers": int(g["r"].sum()),
                "mean error, limit formula": g["overlap_sum_first_order"].sum() / g["r"].sum(),
                "mean error, deterministic equivalent": g["overlap_sum_equivalent"].sum() / g["r"].sum(),
                "rms error, deterministic equivalent": np.sqrt(
                    g["overlap_sq_equivalent"].sum() / g["r"].sum()
                ),
            }
        ),
        include_groups=False,
    )
    table.index.name = "alpha"
    return table
