"""Pooled test statistics with known variances, and their power, for the chapters' verdicts.

A maximum over many outliers with a union bound misses a systematic error of one
standard deviation on every outlier; a pooled statistic sees it. Each function here
returns a :class:`PooledTest`: the observed and predicted values, the tolerance that a
correct model exceeds with probability ``level`` (two-sided), and ``detectable``, the
smallest relative error in the tested quantity rejected with probability at least 0.9;
its :meth:`PooledTest.check_kwargs` feed :func:`rmtlib.verdict.check`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import special, stats

from .._validation import check_array, check_int, check_real

__all__ = ["PooledTest", "bootstrap_slope", "mean_test", "cluster_mean_test", "variance_test"]

_POWER_Z = float(stats.norm.ppf(0.9))  # 1.2816: a shift of (t + this) SEs is seen with probability 0.9


@dataclasses.dataclass(frozen=True)
class PooledTest:
    """One pooled statistic: ``passed`` is ``|observed - predicted| <= tolerance``."""

    statistic: str
    observed: float
    predicted: float
    tolerance: float
    detectable: float
    n: int

    @property
    def passed(self) -> bool:
        return bool(abs(self.observed - self.predicted) <= self.tolerance)

    @property
    def z(self) -> float:
        """The deviation in units of the tolerance's standard error."""
        return float((self.observed - self.predicted) / self.tolerance)

    def check_kwargs(self) -> dict:
        """``predicted``, ``observed``, ``tolerance``, ``detectable`` for :func:`rmtlib.verdict.check`."""
        return {
            "predicted": self.predicted,
            "observed": self.observed,
            "tolerance": self.tolerance,
            "detectable": self.detectable,
        }


def _two_sided(level: float) -> float:
    level = check_real(level, "level", positive=True, maximum=0.5)
    return float(stats.norm.isf(level / 2))


def mean_test(
    z_sum: float, n: int, *, predicted: float = 0.0, effect: float = 1.0, sd: float = 1.0, level: float = 1e-3
) -> PooledTest:
    """Mean of ``n`` independent errors of known standard deviation ``sd`` against ``predicted``.

    ``z_sum`` is their sum; the tolerance is ``t sd / sqrt(n)``, ``t`` the two-sided normal
    quantile at ``level``. ``effect`` is the mean shift, in standard deviations, that a
    relative error of 1 in the tested quantity produces (e.g. the mean of
    ``(rho_j - theta_j)/sd_j`` for an error in the displacement ``rho - theta``):
    ``detectable = (t + 1.28) sd / (sqrt(n) effect)``.

    Examples
    --------
    >>> test = mean_test(12.0, 400, effect=2.0)
    >>> test.observed, round(test.tolerance, 4), round(test.detectable, 4), test.passed
    (0.03, 0.1645, 0.1143, True)
    """
    n = check_int(n, "n", minimum=1)
    effect = check_real(effect, "effect", positive=True)
    t = _two_sided(level)
    se = check_real(sd, "sd", positive=True) / np.sqrt(n)
    return PooledTest(
        statistic="mean standardized error",
        observed=float(check_real(z_sum, "z_sum")) / n,
        predicted=float(check_real(predicted, "predicted")),
        tolerance=float(t * se),
        detectable=float((t + _POWER_Z) * se / effect),
        n=n,
    )


def cluster_mean_test(sums, counts, *, effect: float, level: float = 1e-3) -> PooledTest:
    """Mean error pooled over clusters (matrices) whose errors may share a common fluctuation.

    ``sums[m]`` is the sum of the ``counts[m]`` errors of matrix ``m``. The mean is
    ``sum(sums) / sum(counts)``; its variance is estimated from the spread between
    the matrices (the cluster-robust estimate ``M/(M-1) sum_m (sums_m - counts_m
    mean)^2 / (sum counts)^2``), so errors correlated within a matrix do not shrink it;
    the tolerance is the two-sided Student quantile with ``M - 1`` degrees of freedom
    times its square root. ``effect`` is the mean error that a relative error of 1 in
    the tested quantity produces.

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
    return PooledTest(
        statistic="mean error (cluster t-test)",
        observed=mean,
        predicted=0.0,
        tolerance=t * se,
        detectable=float((t + stats.t.isf(0.1, M - 1)) * se / effect),
        n=int(M),
    )


def variance_test(z_sq: float, n: int, *, level: float = 1e-3) -> PooledTest:
    """Chi-square test: ``z_sq / n`` (sum of ``n`` squared standardized errors) against 1.

    Under the model ``z_sq`` is chi-square with ``n`` degrees of freedom; the
    tolerance is the larger of the two distances from 1 to the quantiles
    ``chi2_n(level/2)/n`` and ``chi2_n(1 - level/2)/n`` (a symmetric, slightly
    conservative band). ``detectable`` is the smallest relative error ``c`` of the
    variance (``z_sq ~ (1 + c) chi2_n`` or ``(1 - c) chi2_n``) rejected with
    probability 0.9, the larger of the two directions.

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
    return PooledTest(
        statistic="mean squared standardized error",
        observed=z_sq / n,
        predicted=1.0,
        tolerance=tol,
        detectable=float(max(up, down)),
        n=n,
    )


def bootstrap_slope(
    x, groups, *, predicted: float, counts=None, n_boot: int = 2000, level: float = 1e-3, seed: int = 0
):
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
    (PooledTest, (float, float))
        The test (observed slope, tolerance ``t`` standard errors, ``detectable``
        relative error of the slope) and the 95% bootstrap percentile interval.

    Examples
    --------
    >>> import numpy as np
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
    t = _two_sided(level)
    test = PooledTest(
        statistic="log-log slope",
        observed=observed,
        predicted=predicted,
        tolerance=t * se,
        detectable=float((t + _POWER_Z) * se / abs(predicted))
        if predicted != 0
        else float((t + _POWER_Z) * se),
        n=int(sum(a.shape[0] for a in arrays)),
    )
    return test, (float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975)))
