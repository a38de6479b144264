"""Statistics of the verdicts: pooled tests with a stated false-alarm rate, and their power.

Every test here returns a :class:`VerdictSpec`, the keyword arguments of
:func:`rmtlib.verdict.check` for one verdict (``predicted``, ``observed``, ``tolerance``,
``detectable``, ``seeds``, ``note``), so a chapter computes its verdicts in the library and
only displays them (``check(theorem, quantity, N=N, **spec)``). Each test rejects a correct
model with probability at most :data:`LEVEL` (exactly, or up to a stated finite-N bias
allowance), and ``detectable`` is the smallest relative error in the checked quantity that
it rejects with probability at least 0.9.

A maximum over many outliers with a union bound misses a systematic error of one standard
deviation on every outlier; a pooled statistic sees it. Means: :func:`mean_test` (i.i.d.
values), :func:`standardized_mean_test` (errors of known variance given by their sum),
:func:`pooled_z_test` (standardized errors of different variances), :func:`cell_mean_test`
(cells of draws, Welch), :func:`cluster_mean_test` (errors correlated within a matrix).
Spreads: :func:`z_square_test` and :func:`variance_test` (chi-square of standardized
errors, one- and two-sided), :func:`log_variance_test`, :func:`log_variance_ratio_test`.
Rates: :func:`bootstrap_slope`. Counts: :func:`count_test`.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import special, stats

from .._validation import check_array, check_int, check_real

__all__ = [
    "LEVEL",
    "VerdictSpec",
    "bootstrap_slope",
    "cell_mean_test",
    "cluster_mean_test",
    "count_test",
    "log_variance_ratio_test",
    "log_variance_test",
    "mean_test",
    "passed",
    "pooled_z_test",
    "standardized_mean_test",
    "student_power_margin",
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
        se = float(values.std(ddof=1) / np.sqrt(n))
        quantile = float(stats.t.isf(level / 2, n - 1))
        margin = student_power_margin(n - 1, quantile)
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
