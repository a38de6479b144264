"""Every statistical test and interval of the chapters' verdicts, their false-alarm rate and power.

Every test here returns the keyword arguments of :func:`rmtlib.verdict.check` for one verdict
(a :class:`VerdictSpec`: ``predicted``, ``observed``, ``tolerance``, ``detectable``, ``seeds``,
``note``, and, where the test knows it, ``standard_error``: the statistic's standard deviation under
the model, from which a chapter's verdict function states its power against a wrong noise variance
with ``noise_shift``), so a chapter's ``<subject>_verdicts`` function builds its verdicts from them and the
chapter only displays them. Each test rejects a correct model with probability at most
:data:`LEVEL` (exactly, or up to a stated finite-N bias allowance), and ``detectable`` is the
smallest relative error in the checked quantity that it rejects with probability at least 0.9.

A maximum over many outliers with a union bound misses a systematic error of one standard
deviation on every outlier; a pooled statistic sees it. Means: :func:`mean_test` (i.i.d.
values), :func:`pooled_t_check` (the same Student t-test against 0 at a confidence level, on
:func:`t_interval`, the form chapters T7 and T8 read),
:func:`standardized_mean_test` (errors of known variance given by their sum),
:func:`pooled_z_test` (standardized errors of different variances), :func:`cell_mean_test`
(cells of draws, Welch), :func:`cluster_mean_test` (errors correlated within a matrix),
:func:`paired_rule_comparison` (paired t-tests and sign tests of methods on the same networks).
Spreads: :func:`z_square_test` and :func:`variance_test` (chi-square of standardized
errors, one- and two-sided), :func:`log_variance_test`, :func:`log_variance_ratio_test`.
Distributions: :func:`ks_verdict` with :func:`ks_tolerance`. Rates: :func:`bootstrap_slope`,
:func:`loglog_slope`, :func:`loglog_slope_interval`. Counts: :func:`count_test`. Scales:
:func:`max_gaussian_quantile`, :func:`outlier_fluctuation_variance` (the fluctuation of an
outlier that the T3 and T4 tolerances come from), :func:`student_power_margin`.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from scipy import special, stats

from .. import spectra
from .._validation import check_array, check_choice, check_generator, check_int, check_real

__all__ = [
    "t_statistic",
    "LEVEL",
    "VerdictSpec",
    "bootstrap_slope",
    "cell_mean_test",
    "cluster_mean_test",
    "count_test",
    "ks_tolerance",
    "ks_verdict",
    "log_variance_ratio_test",
    "log_variance_test",
    "loglog_slope",
    "loglog_slope_interval",
    "max_gaussian_quantile",
    "mean_test",
    "outlier_fluctuation_variance",
    "paired_rule_comparison",
    "passed",
    "pooled_t_check",
    "pooled_z_test",
    "standardized_mean_test",
    "student_power_margin",
    "t_interval",
    "variance_test",
    "z_square_test",
]


LEVEL = 1e-3  # false-alarm rate of every calibrated verdict


_Z90 = float(stats.norm.ppf(0.9))  # one-sided 90% power


class VerdictSpec(dict):
    """The keyword arguments of :func:`rmtlib.verdict.check` for one verdict, also readable as
    attributes (``spec.observed``); :attr:`passed` is ``|observed - predicted| <= tolerance``.

    Examples
    --------
    >>> spec = VerdictSpec(predicted=1.0, observed=1.2, tolerance=0.1, detectable=0.15)
    >>> spec.observed, spec["tolerance"], spec.passed
    (1.2, 0.1, False)
    """

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def passed(self) -> bool:
        return passed(self)


def _gaussian_quantile(level: float) -> float:
    return float(stats.norm.isf(level / 2))


def student_power_margin(dof: int, quantile: float, power: float = 0.9) -> float:
    """How many standard errors beyond the tolerance a shift must lie to be rejected with
    probability ``power`` by a two-sided Student t-test (``|T| > quantile``, ``dof`` degrees of
    freedom): ``nc - quantile``, ``nc`` the noncentrality at which ``P(T' > quantile) = power``
    for the noncentral t law (the other tail is negligible). It tends to the Gaussian 1.2816
    for many degrees of freedom and grows for few.

    Examples
    --------
    >>> round(student_power_margin(10_000, float(stats.t.isf(5e-4, 10_000))), 3)
    1.282
    >>> from scipy import stats
    >>> q = float(stats.t.isf(5e-4, 8)); nc = q + student_power_margin(8, q)
    >>> round(float(stats.nct.sf(q, 8, nc)), 6)
    0.9
    """
    from scipy import optimize

    dof = check_int(dof, "dof", minimum=1)
    high = 10.0 * quantile + 60.0  # the sd's own spread: few dof need far more than 1.28
    nc = optimize.brentq(lambda m: stats.nct.sf(quantile, dof, m) - power, quantile, high, xtol=1e-10)
    return float(nc - quantile)


def passed(spec: dict) -> bool:
    """Whether a verdict's keyword arguments pass: ``|observed - predicted| <= tolerance``."""
    return bool(abs(spec["observed"] - spec["predicted"]) <= spec["tolerance"])


def _mean_and_se(values: np.ndarray) -> tuple[float, float]:
    """The mean of ``values`` and its standard error: the sample standard deviation (``ddof=1``) over
    ``sqrt(n)``. The one place this module computes it."""
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))


def _student_t(values: np.ndarray, quantile: float) -> tuple[float, float, float]:
    """The mean and standard error of ``values`` (:func:`_mean_and_se`) and the margin of
    :func:`student_power_margin` at ``quantile`` with ``n - 1`` degrees of freedom."""
    mean, se = _mean_and_se(values)
    return mean, se, student_power_margin(values.size - 1, quantile)


def mean_test(
    values,
    *,
    predicted: float,
    sd: float | None = None,
    bias: float = 0.0,
    scale: float | None = None,
    level: float = LEVEL,
) -> dict:
    """Test that the mean of i.i.d. ``values`` is ``predicted``, up to a finite-N ``bias`` allowance.

    With a known standard deviation ``sd`` the tolerance is the two-sided Gaussian
    quantile times ``sd/sqrt(n)``; without, the sample standard deviation and the
    Student-t quantile with ``n - 1`` degrees of freedom. ``bias`` (>= 0) is added to the
    tolerance. ``detectable`` is relative to ``scale`` (default ``|predicted|``): a shift
    ``tolerance + bias + m se`` is rejected with probability at least 0.9, ``m`` = 1.28 with a
    known sd and :func:`student_power_margin` (noncentral t) without.

    Examples
    --------
    >>> spec = mean_test([0.1, -0.2, 0.05, 0.0], predicted=0.0, sd=1.0, scale=1.0)
    >>> round(spec["tolerance"], 3), passed(spec)
    (1.645, True)
    """
    values = check_array(values, "values", ndim=1, min_size=2)
    predicted = check_real(predicted, "predicted")
    bias = check_real(bias, "bias", nonnegative=True)
    n = values.size
    if sd is None:
        quantile = float(stats.t.isf(level / 2, n - 1))
        _, se, margin = _student_t(values, quantile)
        how = f"Student t, {n - 1} dof"
    else:
        se = check_real(sd, "sd", positive=True) / float(np.sqrt(n))
        quantile = _gaussian_quantile(level)
        margin = _Z90
        how = "known sd"
    tolerance = quantile * se + bias
    scale = abs(predicted) if scale is None else check_real(scale, "scale", positive=True)
    return VerdictSpec(
        {
            "predicted": predicted,
            "observed": float(values.mean()),
            "tolerance": tolerance,
            "seeds": n,
            "detectable": (tolerance + bias + margin * se) / scale if scale > 0 else None,
            "standard_error": se,
            **({} if sd is not None else {"noise_dof": n - 1}),
            "note": f"mean of {n} draws, {how}, level {level:g}"
            + (f", bias allowance {bias:.2g}" if bias else ""),
        }
    )


def _log_interval(low: float, high: float) -> tuple[float, float]:
    """Centre and half-width of ``[log low, log high]``."""
    return 0.5 * (np.log(low) + np.log(high)), 0.5 * (np.log(high) - np.log(low))


def _detectable_factor(cdf, low: float, high: float, allowance: float) -> float:
    """Smallest ``e`` such that the statistic scaled by ``1 + e`` or ``1/(1 + e)`` leaves the
    interval ``[low e^-allowance, high e^allowance]`` with probability >= 0.9 (on a grid of
    ``log(1 + e)`` steps of 1e-3)."""
    lo, hi = low * np.exp(-allowance), high * np.exp(allowance)
    steps = np.arange(1, 5001) * 1e-3
    worst = 0.0
    for direction in (1.0, -1.0):
        factor = np.exp(direction * steps)
        reach = cdf(lo / factor) + 1.0 - cdf(hi / factor)
        worst = max(
            worst, float(steps[np.argmax(reach >= 0.9)]) if np.any(reach >= 0.9) else float(steps[-1])
        )
    return float(np.expm1(worst))


@functools.lru_cache(maxsize=256)
def _chi2_interval(k: int, level: float, bias: float) -> tuple[float, float, float]:
    law = stats.chi2(k)
    low, high = law.ppf(level / 2) / k, law.isf(level / 2) / k
    return low, high, _detectable_factor(lambda x: law.cdf(k * x), low, high, bias)


@functools.lru_cache(maxsize=256)
def _f_interval(k1: int, k2: int, level: float, bias: float) -> tuple[float, float, float]:
    law = stats.f(k1, k2)
    low, high = law.ppf(level / 2), law.isf(level / 2)
    return low, high, _detectable_factor(law.cdf, low, high, bias)


def log_variance_test(values, *, predicted: float, bias: float = 0.0, level: float = LEVEL) -> dict:
    """Test the variance of i.i.d. Gaussian ``values`` against ``predicted``, on a log scale.

    ``(n - 1) s^2 / v`` is chi-square with ``n - 1`` degrees of freedom, so
    ``log s^2`` lies in ``log v + [log q_lo, log q_hi]`` with probability ``1 - level``
    (``q`` the chi-square quantiles over ``n - 1``); the verdict compares ``log s^2`` with
    the centre of that interval, tolerance its half-width plus ``bias`` (a finite-N
    allowance on ``log v``). The tolerance does not grow with the prediction.
    ``detectable``: the relative error in the variance rejected with probability >= 0.9.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> spec = log_variance_test(rng.normal(0, 1, 400), predicted=1.0)
    >>> passed(spec), passed(log_variance_test(rng.normal(0, 1, 400), predicted=1.6))
    (True, False)
    """
    values = check_array(values, "values", ndim=1, min_size=3)
    predicted = check_real(predicted, "predicted", positive=True)
    bias = check_real(bias, "bias", nonnegative=True)
    k = values.size - 1
    low, high, detectable = _chi2_interval(k, float(level), bias)
    centre, half = _log_interval(low, high)
    return VerdictSpec(
        {
            "predicted": float(np.log(predicted) + centre),
            "observed": float(np.log(values.var(ddof=1))),
            "tolerance": float(half + bias),
            "seeds": values.size,
            "detectable": detectable,
            "note": f"log sample variance, exact chi-square({k}) interval at level {level:g}"
            + (f", bias allowance {bias:.2g}" if bias else ""),
        }
    )


def log_variance_ratio_test(
    first, second, *, predicted: float, bias: float = 0.0, level: float = LEVEL
) -> dict:
    """Paired-design test of ``Var(first)/Var(second) = predicted`` for two Gaussian samples.

    The ratio of sample variances over the predicted ratio is Fisher ``F(n1 - 1, n2 - 1)``;
    the verdict compares the log ratio with the centre of its exact ``1 - level`` interval,
    tolerance the half-width plus ``bias``. ``detectable``: relative error in the ratio.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> a, b = rng.normal(0, np.sqrt(1.5), 400), rng.normal(0, 1, 400)
    >>> right = log_variance_ratio_test(a, b, predicted=1.5)
    >>> swapped = log_variance_ratio_test(a, b, predicted=1 / 1.5)
    >>> passed(right), passed(swapped)
    (True, False)
    """
    first = check_array(first, "first", ndim=1, min_size=3)
    second = check_array(second, "second", ndim=1, min_size=3)
    predicted = check_real(predicted, "predicted", positive=True)
    bias = check_real(bias, "bias", nonnegative=True)
    low, high, detectable = _f_interval(first.size - 1, second.size - 1, float(level), bias)
    centre, half = _log_interval(low, high)
    return VerdictSpec(
        {
            "predicted": float(np.log(predicted) + centre),
            "observed": float(np.log(first.var(ddof=1) / second.var(ddof=1))),
            "tolerance": float(half + bias),
            "seeds": first.size + second.size,
            "detectable": detectable,
            "note": f"log ratio of sample variances, exact F({first.size - 1}, {second.size - 1}) interval "
            f"at level {level:g}" + (f", bias allowance {bias:.2g}" if bias else ""),
        }
    )


def pooled_z_test(errors, sd, *, scale=None, bias: float = 0.0, level: float = LEVEL) -> dict:
    """Pooled standardized mean error: ``sum_i (e_i / sd_i) / sqrt(k)``, standard Gaussian under the model.

    A systematic error of the same sign on every item adds up (a maximum would see one
    item at a time). ``bias`` is a finite-N allowance on the statistic. ``scale``
    (the predicted values) makes ``detectable`` the common relative error
    ``e_i = eps * scale_i`` rejected with probability at least 0.9.

    Examples
    --------
    >>> spec = pooled_z_test([0.5, 0.5, 0.5, 0.5], [1.0, 1.0, 1.0, 1.0])
    >>> spec["observed"], round(spec["tolerance"], 2)
    (1.0, 3.29)
    """
    errors = check_array(errors, "errors", ndim=1, min_size=1)
    sd = np.broadcast_to(check_array(sd, "sd"), errors.shape)
    if np.any(sd <= 0):
        raise ValueError("sd must be positive")
    bias = check_real(bias, "bias", nonnegative=True)
    k = errors.size
    tolerance = _gaussian_quantile(level) + bias
    detectable = None
    if scale is not None:
        reach = float(np.sum(np.abs(np.broadcast_to(scale, errors.shape)) / sd) / np.sqrt(k))
        detectable = (tolerance + bias + _Z90) / reach
    return VerdictSpec(
        {
            "predicted": 0.0,
            "observed": float(np.sum(errors / sd) / np.sqrt(k)),
            "tolerance": tolerance,
            "detectable": detectable,
            "standard_error": 1.0,
            "note": f"sum of {k} standardized errors / sqrt({k}), Gaussian, level {level:g}"
            + (f", bias allowance {bias:.2g}" if bias else ""),
        }
    )


def z_square_test(errors, sd, *, level: float = LEVEL) -> dict:
    """Chi-square of standardized errors, ``sum_i (e_i/sd_i)^2``, against its ``k`` degrees of freedom.

    Rejects too large a spread (a wrong fluctuation formula, errors of both signs): the
    tolerance reaches the upper ``level`` quantile of chi-square(k) (the lower side never
    rejects). ``detectable``: the relative error in the standard deviations ``sd``
    rejected with probability at least 0.9.

    Examples
    --------
    >>> spec = z_square_test(np.ones(10), np.ones(10))
    >>> spec["predicted"], spec["observed"], round(spec["tolerance"], 2)
    (10.0, 10.0, 19.59)
    """
    errors = check_array(errors, "errors", ndim=1, min_size=1)
    sd = np.broadcast_to(check_array(sd, "sd"), errors.shape)
    if np.any(sd <= 0):
        raise ValueError("sd must be positive")
    k = errors.size
    law = stats.chi2(k)
    upper = float(law.isf(level))
    factors = (
        1.0 + np.arange(1, 20001) * 1e-3
    )  # sd too small by `factor`: the statistic is factor^2 chi-square(k)
    factor = float(factors[np.argmax(law.sf(upper / factors**2) >= 0.9)])
    return VerdictSpec(
        {
            "predicted": float(k),
            "observed": float(np.sum((errors / sd) ** 2)),
            "tolerance": upper - k,
            "detectable": round(factor - 1.0, 6),
            "note": f"chi-square({k}) of standardized errors, upper quantile at level {level:g}",
        }
    )


def cell_mean_test(cells, *, scale: float, bias: float = 0.0, level: float = LEVEL) -> dict:
    """Test that the errors ``x - prediction`` of draws grouped in cells have mean zero, pooled over cells.

    ``cells`` is a list of 1-D arrays (the errors of the draws of one cell, at least two
    each). The statistic is the mean of the cell means; its standard error comes from the
    within-cell sample variances (cells may have different variances), and the quantile is
    Student's t with the Welch-Satterthwaite degrees of freedom, so that two draws per cell
    are enough when there are several cells. ``bias`` is a finite-N allowance;
    ``detectable`` is relative to ``scale`` (a typical predicted value).

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> cells = [rng.normal(0.0, 0.1 * (1 + c), 3) for c in range(12)]
    >>> passed(cell_mean_test(cells, scale=1.0)), passed(cell_mean_test([c + 1.0 for c in cells], scale=1.0))
    (True, False)
    """
    cells = [check_array(c, "cells[i]", ndim=1, min_size=2) for c in cells]
    if not cells:
        raise ValueError("cells must hold at least one cell")
    scale = check_real(scale, "scale", positive=True)
    bias = check_real(bias, "bias", nonnegative=True)
    C = len(cells)
    parts = np.array([c.var(ddof=1) / c.size for c in cells]) / C**2  # variance of each cell's share
    dof = float(parts.sum() ** 2 / np.sum(parts**2 / np.array([c.size - 1 for c in cells])))
    se = float(np.sqrt(parts.sum()))
    tolerance = float(stats.t.isf(level / 2, dof)) * se + bias
    draws = sum(c.size for c in cells)
    return VerdictSpec(
        {
            "predicted": 0.0,
            "observed": float(np.mean([c.mean() for c in cells])),
            "tolerance": tolerance,
            "seeds": draws,
            "detectable": (tolerance + bias + float(stats.t.isf(0.1, dof)) * se) / scale,
            "standard_error": se,
            "noise_dof": dof,
            "note": f"mean error over {C} cells, {draws} draws; Student t, {dof:.1f} Welch dof, "
            f"level {level:g}" + (f", bias allowance {bias:.2g}" if bias else ""),
        }
    )


def count_test(predicted: int, observed: int) -> dict:
    """Exact equality of two counts (tolerance 0.5); any miscount of one is rejected.

    Examples
    --------
    >>> count_test(5, 5)["detectable"]
    0.2
    """
    predicted = check_int(predicted, "predicted", minimum=0)
    observed = check_int(observed, "observed", minimum=0)
    return VerdictSpec(
        {
            "predicted": float(predicted),
            "observed": float(observed),
            "tolerance": 0.5,
            "detectable": 1.0 / predicted if predicted else 1.0,
            "note": "counts must be equal",
        }
    )


def standardized_mean_test(
    z_sum: float,
    n: int,
    *,
    predicted: float = 0.0,
    effect: float = 1.0,
    sd: float = 1.0,
    level: float = LEVEL,
) -> VerdictSpec:
    """Mean of ``n`` independent errors of known standard deviation ``sd``, given their sum ``z_sum``.

    The form of :func:`mean_test` (known ``sd``) for errors stored only as sums (one per
    matrix in a study table). The tolerance is ``t sd / sqrt(n)``, ``t`` the two-sided normal
    quantile at ``level``. ``effect`` is the mean shift, in standard deviations, that a
    relative error of 1 in the tested quantity produces (e.g. the mean of
    ``(rho_j - theta_j)/sd_j`` for an error in the displacement ``rho - theta``):
    ``detectable = (t + 1.28) sd / (sqrt(n) effect)``.

    Examples
    --------
    >>> test = standardized_mean_test(12.0, 400, effect=2.0)
    >>> test.observed, round(test.tolerance, 4), round(test.detectable, 4), test.passed
    (0.03, 0.1645, 0.1143, True)
    """
    n = check_int(n, "n", minimum=1)
    effect = check_real(effect, "effect", positive=True)
    t = _gaussian_quantile(check_real(level, "level", positive=True, maximum=0.5))
    se = check_real(sd, "sd", positive=True) / np.sqrt(n)
    return VerdictSpec(
        {
            "predicted": float(check_real(predicted, "predicted")),
            "observed": float(check_real(z_sum, "z_sum")) / n,
            "tolerance": float(t * se),
            "seeds": n,
            "detectable": float((t + _Z90) * se / effect),
            "standard_error": float(se),
            "note": f"mean of {n} standardized errors, known sd, level {level:g}",
        }
    )


def cluster_mean_test(sums, counts, *, effect: float, level: float = LEVEL) -> VerdictSpec:
    """Mean error pooled over clusters (matrices) whose errors may share a common fluctuation.

    ``sums[m]`` is the sum of the ``counts[m]`` errors of matrix ``m``. The mean is
    ``sum(sums) / sum(counts)``; its variance is estimated from the spread between
    the matrices (the cluster-robust estimate ``M/(M-1) sum_m (sums_m - counts_m
    mean)^2 / (sum counts)^2``), so errors correlated within a matrix do not shrink it;
    the tolerance is the two-sided Student quantile with ``M - 1`` degrees of freedom
    times its square root. ``effect`` is the mean error that a relative error of 1 in
    the tested quantity produces. (:func:`cell_mean_test` is the form for independent
    draws grouped in cells of different variances.)

    Examples
    --------
    >>> test = cluster_mean_test([0.1, -0.2, 0.15, 0.0], [10, 10, 10, 10], effect=0.1)
    >>> round(test.observed, 5), test.passed
    (0.00125, True)
    """
    sums = check_array(sums, "sums", ndim=1, min_size=3)
    counts = check_array(counts, "counts", ndim=1, min_size=3)
    if sums.size != counts.size or np.any(counts <= 0):
        raise ValueError("sums and counts must have the same length and positive counts")
    effect = check_real(effect, "effect", positive=True)
    level = check_real(level, "level", positive=True, maximum=0.5)
    M, total = sums.size, counts.sum()
    mean = float(sums.sum() / total)
    se = float(np.sqrt(M / (M - 1) * np.sum((sums - counts * mean) ** 2)) / total)
    t = float(stats.t.isf(level / 2, M - 1))
    return VerdictSpec(
        {
            "predicted": 0.0,
            "observed": mean,
            "tolerance": t * se,
            "seeds": int(M),
            "detectable": float((t + stats.t.isf(0.1, M - 1)) * se / effect),
            "standard_error": se,
            "noise_dof": M - 1,
            "note": f"mean error over {M} matrices, cluster t-test, {M - 1} dof, level {level:g}",
        }
    )


def variance_test(z_sq: float, n: int, *, level: float = LEVEL) -> VerdictSpec:
    """Chi-square test: ``z_sq / n`` (sum of ``n`` squared standardized errors) against 1.

    Under the model ``z_sq`` is chi-square with ``n`` degrees of freedom; the
    tolerance is the larger of the two distances from 1 to the quantiles
    ``chi2_n(level/2)/n`` and ``chi2_n(1 - level/2)/n`` (a symmetric, slightly
    conservative band: unlike :func:`z_square_test`, a spread too small is rejected
    too). ``detectable`` is the smallest relative error ``c`` of the variance
    (``z_sq ~ (1 + c) chi2_n`` or ``(1 - c) chi2_n``) rejected with probability 0.9,
    the larger of the two directions.

    Examples
    --------
    >>> test = variance_test(410.0, 400)
    >>> round(test.observed, 4), round(test.tolerance, 3), test.passed
    (1.025, 0.249, True)
    >>> round(test.detectable, 2)
    0.37
    """
    n = check_int(n, "n", minimum=1)
    z_sq = check_real(z_sq, "z_sq", minimum=0.0)
    level = check_real(level, "level", positive=True, maximum=0.5)
    upper = stats.chi2.isf(level / 2, n) / n
    lower = stats.chi2.ppf(level / 2, n) / n
    tol = float(max(upper - 1.0, 1.0 - lower))
    up = (1.0 + tol) / (stats.chi2.ppf(0.1, n) / n) - 1.0
    down = 1.0 - (1.0 - tol) / (stats.chi2.isf(0.1, n) / n)
    return VerdictSpec(
        {
            "predicted": 1.0,
            "observed": z_sq / n,
            "tolerance": tol,
            "seeds": n,
            "detectable": float(max(up, down)),
            "note": f"mean squared standardized error, chi-square({n}) two-sided, level {level:g}",
        }
    )


def bootstrap_slope(
    x, groups, *, predicted: float, counts=None, n_boot: int = 2000, level: float = LEVEL, seed: int = 0
) -> tuple[VerdictSpec, tuple[float, float]]:
    """Log-log slope of a root-mean-square error against ``x``, with a bootstrap over replicates.

    Parameters
    ----------
    x : array_like
        The ``m >= 2`` distinct abscissae (e.g. the matrix sizes ``N``).
    groups : sequence of 2-D array_like
        For each ``x``, an array of shape ``(replicates, k)`` of squared errors: the
        statistic at ``x`` is the square root of their mean. Replicates (seeds) are
        resampled with replacement within each ``x``.
    predicted : float
        The slope the theory predicts.
    counts : array_like, optional
        When the squared errors are squared standardized Gaussians (known variance),
        the number of them at each ``x``: then ``log`` of the statistic has the known
        variance ``trigamma(n/2)/4`` and the slope a known standard error; the
        tolerance uses the larger of it and the bootstrap's (a bootstrap over a few
        replicates underestimates the spread).

    Returns
    -------
    (VerdictSpec, (float, float))
        The test (observed slope, tolerance ``t`` standard errors, ``detectable``
        relative error of the slope) and the 95% bootstrap percentile interval.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = [100, 400, 1600]
    >>> groups = [rng.standard_normal((20, 8)) ** 2 / n for n in x]
    >>> test, ci = bootstrap_slope(x, groups, predicted=-0.5)
    >>> test.passed, ci[0] < -0.5 < ci[1]
    (True, True)
    """
    x = check_array(x, "x", ndim=1, min_size=2)
    if np.any(x <= 0):
        raise ValueError("x must be positive for a log-log fit")
    if len(groups) != x.size:
        raise ValueError(f"groups must have one array per x ({x.size}), got {len(groups)}")
    arrays = [np.atleast_2d(check_array(g, "groups")) for g in groups]
    if any(a.shape[0] < 2 for a in arrays):
        raise ValueError("each group needs at least 2 replicates (rows) for a bootstrap")
    predicted = check_real(predicted, "predicted")
    n_boot = check_int(n_boot, "n_boot", minimum=100)
    logx = np.log(x)

    def slope(stat):
        return float(np.polyfit(logx, np.log(stat), 1)[0])

    observed = slope(np.array([np.sqrt(np.mean(a)) for a in arrays]))
    rng = np.random.default_rng(seed)
    per_replicate = [np.mean(a, axis=1) for a in arrays]  # mean squared error of each replicate
    stats_boot = np.column_stack(
        [np.sqrt(np.mean(p[rng.integers(0, p.size, (n_boot, p.size))], axis=1)) for p in per_replicate]
    )
    centred = logx - logx.mean()
    boot = np.log(stats_boot) @ centred / np.sum(centred**2)  # least-squares slopes, one per resample
    se = float(np.std(boot, ddof=1))
    if counts is not None:
        counts = check_array(counts, "counts", ndim=1)
        if counts.size != x.size or np.any(counts < 1):
            raise ValueError(f"counts must hold one positive count per x ({x.size})")
        var_y = special.polygamma(1, counts / 2.0) / 4.0
        se = max(se, float(np.sqrt(np.sum(centred**2 * var_y)) / np.sum(centred**2)))
    t = _gaussian_quantile(check_real(level, "level", positive=True, maximum=0.5))
    replicates = int(sum(a.shape[0] for a in arrays))
    test = VerdictSpec(
        {
            "predicted": predicted,
            "observed": observed,
            "tolerance": t * se,
            "seeds": replicates,
            "detectable": float((t + _Z90) * se / abs(predicted))
            if predicted != 0
            else float((t + _Z90) * se),
            "note": f"log-log slope over {x.size} abscissae, bootstrap over {replicates} replicates, "
            f"level {level:g}",
        }
    )
    return test, (float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975)))


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
    tolerance is calibrated by simulation instead (``tests/experiments/test_statistics.py``: no false alarm
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


def t_statistic(values) -> float:
    """Student's t statistic of ``values`` against mean 0: the mean over its standard error
    (sample standard deviation over ``sqrt(n)``); ``nan`` for fewer than two values.

    Examples
    --------
    >>> round(t_statistic([1.0, 2.0, 3.0]), 4)
    3.4641
    >>> t_statistic([1.0])
    nan
    """
    x = np.asarray(values, dtype=float).ravel()
    if x.size < 2:
        return np.nan
    mean, se = _mean_and_se(x)
    return float(mean / se)


def t_interval(residuals, *, level: float = 0.999) -> dict:
    """The two-sided t-test that the residuals have mean 0, as the numbers of its interval.

    Returns ``mean``, ``se`` (sample standard deviation over ``sqrt(count)``), ``tolerance``
    (the ``(1 + level) / 2`` quantile of Student's t with ``count - 1`` degrees of freedom times
    ``se``: the false-alarm rate is ``1 - level`` for independent Gaussian residuals),
    ``detectable_shift``, the shift of the mean rejected with probability 0.9
    (``tolerance + m se``, ``m`` from the noncentral t law: :func:`~student_power_margin`), and
    ``count``. The test of :func:`~mean_test` without ``sd`` (the same computation,
    :func:`_student_t`), with ``level`` the confidence, not the false-alarm rate: the quantile is
    ``stats.t.ppf((1 + level) / 2)``, which can differ from ``mean_test``'s ``stats.t.isf(level / 2)``
    in the last bits, so the two keep their own quantile.

    Examples
    --------
    >>> out = t_interval([0.1, -0.1, 0.2, -0.2])
    >>> round(out["mean"], 12), round(out["se"], 4)
    (0.0, 0.0913)
    """
    x = np.asarray(residuals, dtype=float).ravel()
    if x.size < 2:
        raise ValueError(f"residuals must have at least 2 entries, got {x.size}")
    quantile = float(stats.t.ppf(0.5 + 0.5 * level, x.size - 1))
    mean, se, margin = _student_t(x, quantile)
    tol = quantile * se
    return {
        "mean": mean,
        "se": se,
        "tolerance": tol,
        "detectable_shift": tol + margin * se,
        "count": int(x.size),
    }


def pooled_t_check(
    residuals, *, scale: float | None = None, level: float = 0.999, units: str = "values"
) -> VerdictSpec:
    """:func:`t_interval` as the keyword arguments of :func:`rmtlib.verdict.check`: ``predicted`` 0,
    ``observed`` the mean residual, its ``tolerance``, ``seeds`` the number of residuals and
    ``detectable`` the detectable shift relative to ``scale`` (``None`` without a scale); the note
    names the ``units`` the residuals are taken over.

    Examples
    --------
    >>> spec = pooled_t_check([0.1, -0.1, 0.2, -0.2], scale=2.0, units="matrices")
    >>> spec.observed == 0.0, spec.seeds, spec.note
    (True, 4, 't-test over 4 matrices, level 1e-3')
    """
    test = t_interval(residuals, level=level)
    return VerdictSpec(
        predicted=0.0,
        observed=test["mean"],
        tolerance=test["tolerance"],
        seeds=test["count"],
        detectable=None if scale is None else test["detectable_shift"] / scale,
        note=f"t-test over {test['count']} {units}, level {1 - level:.0e}".replace("e-0", "e-"),
    )


def loglog_slope_interval(table, *, x: str, y: str, n_boot: int = 2000, level: float = 0.9, rng) -> dict:
    """Slope of ``log mean(y)`` against ``log x`` and a bootstrap interval over the replicates.

    ``table`` is a DataFrame with one row per replicate; each bootstrap sample redraws the
    replicates within each value of ``x`` with replacement. Returns ``slope``, ``low``, ``high``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"N": [100, 100, 400, 400], "e": [0.1, 0.1, 0.05, 0.05]})
    >>> loglog_slope_interval(t, x="N", y="e", n_boot=50, rng=np.random.default_rng(0))["slope"]
    -0.5
    """
    check_generator(rng)
    groups = [(float(k), g[y].to_numpy(dtype=float)) for k, g in table.groupby(x)]
    if len(groups) < 2:
        raise ValueError(f"table must hold at least two values of {x}")
    lx = np.log([k for k, _ in groups])

    def fit(means):
        return float(np.polyfit(lx, np.log(means), 1)[0])

    slope = fit([v.mean() for _, v in groups])
    boot = [fit([rng.choice(v, v.size).mean() for _, v in groups]) for _ in range(n_boot)]
    low, high = np.quantile(boot, [0.5 - 0.5 * level, 0.5 + 0.5 * level])
    return {"slope": round(slope, 12), "low": float(low), "high": float(high)}


KS_PERTURBATION = 0.1  # relative change of sigma^2 used to measure a KS check's reach


def ks_verdict(sample, law, perturbed, *, n: int | None = None) -> dict:
    """Kolmogorov distance of ``sample`` to ``law`` against :func:`ks_tolerance` of ``n`` points.

    ``perturbed`` holds the same law with the noise variance ``sigma^2`` multiplied by
    1.1 and by 0.9. The check rejects a law at distance ``D >= 2 tolerance`` from the truth
    whenever the correct law passes (triangle inequality), so ``detectable`` is the relative
    error in ``sigma^2`` that moves the law by ``2 tolerance`` (linear in the 10% change).
    ``noise_shift`` (half the distance per unit relative error) with ``standard_error`` 0 states
    the same figure for :func:`rmtlib.verdict.noise_variance_detectable`.
    """
    sample = np.sort(np.asarray(sample, dtype=float))
    n = sample.size if n is None else check_int(n, "n", minimum=2)
    tolerance = ks_tolerance(n)
    span = sample[-1] - sample[0]
    grid = np.linspace(sample[0] - 0.25 * span, sample[-1] + 0.25 * span, 4001)
    reference = law.cdf(grid)
    reach = min(float(np.max(np.abs(other.cdf(grid) - reference))) for other in perturbed)
    return {
        "predicted": 0.0,
        "observed": float(spectra.kolmogorov_distance(sample, law)),
        "tolerance": tolerance,
        "detectable": KS_PERTURBATION * 2 * tolerance / reach,
        "seeds": 1,
        # conservative step: under sigma^2 (1 + delta) the distance is at least D(delta) - tolerance
        # (the sample's own distance to the true law passes), D linear in delta: half of it per unit
        "noise_shift": reach / (2 * KS_PERTURBATION),
        "standard_error": 0.0,
        "note": f"tolerance 2 (sqrt 2/pi) log n / n + 2/n, n = {n}; detectable: relative error in sigma^2",
    }


def paired_rule_comparison(study: pd.DataFrame, *, at: str = "rmt", metric: str = "accuracy") -> pd.DataFrame:
    """Paired comparison of pruning methods on the same networks.

    ``study`` has one row per (network ``seed``, ``method``, ``at``) with the ``metric`` (the rows
    of :func:`~rmtlib.experiments.pruning.pruning_study` with a ``seed`` column). For every pair of methods
    at ``at``: the mean paired difference of ``metric`` (first minus second) over the networks,
    its standard error, the paired t-statistic and its two-sided p-value, and how many networks
    rank the first above the second.

    Examples
    --------
    >>> t = pd.DataFrame({"seed": [0, 0, 1, 1, 2, 2], "method": ["a", "b"] * 3, "at": "rmt",
    ...                   "accuracy": [0.9, 0.8, 0.95, 0.9, 0.85, 0.84]})
    >>> row = paired_rule_comparison(t).iloc[0]
    >>> row["first"], row["second"], round(float(row["mean difference"]), 4), int(row["first ahead"])
    ('a', 'b', 0.0533, 3)
    """
    if not isinstance(study, pd.DataFrame):
        raise TypeError(f"study must be a pandas DataFrame, got {type(study).__name__}")
    missing = {"seed", "method", "at", metric} - set(study.columns)
    if missing:
        raise ValueError(f"study lacks the columns {sorted(missing)}")
    check_choice(at, "at", set(study["at"]))
    wide = study[study["at"] == at].pivot_table(index="seed", columns="method", values=metric)
    wide = wide.dropna()
    if len(wide) < 2:
        raise ValueError(f"need at least two networks with every method at {at!r}, got {len(wide)}")
    rows = []
    methods = list(wide.columns)
    for i, a in enumerate(methods):
        for b in methods[i + 1 :]:
            d = (wide[a] - wide[b]).to_numpy()
            _, se = _mean_and_se(d)
            if se > 0:
                t = float(d.mean() / se)
                p = float(2 * stats.t.sf(abs(t), d.size - 1))
            else:  # the same numbers on every network (e.g. one rule is the other): no evidence
                t, p = (0.0, 1.0) if d.mean() == 0 else (float(np.copysign(np.inf, d.mean())), 0.0)
            rows.append(
                {
                    "first": a,
                    "second": b,
                    "networks": d.size,
                    "mean difference": float(d.mean()),
                    "standard error": se,
                    "t": t,
                    "p-value": p,
                    "first ahead": int(np.sum(d > 0)),
                }
            )
    return pd.DataFrame(rows)
