"""The Tracy–Widom law of the largest eigenvalue, real case (``beta = 1``), in one place.

The largest eigenvalue of an ``N x N`` GOE matrix normalized to the edge ``2 sigma``
fluctuates on the scale ``sigma N^(-2/3)``: ``N^(2/3) (lambda_max - 2 sigma) / sigma``
tends to the law TW1 (Tracy & Widom 1996). Its mean and standard deviation are
tabulated to many digits by Bornemann (2010); its distribution function and
quantiles come from the ``TracyWidom`` package (numerical solution of the
Painlevé II representation). :func:`tracy_widom_unit` gives the same length scale
at the square-root edge of any law.

References: Tracy & Widom (1996), Johnstone (2001), Bornemann (2010).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from ._validation import check_array, check_int, check_real

__all__ = ["TW1_MEAN", "TW1_SD", "tracy_widom1_cdf", "tracy_widom1_quantile", "tracy_widom_unit"]

#: Mean of TW1 (Bornemann 2010, table 10).
TW1_MEAN = -1.2065335745820
#: Standard deviation of TW1: the square root of its variance 1.6077810345810 (Bornemann 2010).
TW1_SD = 1.2679830576868920


@functools.lru_cache(maxsize=1)
def _tracy_widom1():
    with warnings.catch_warnings():
        # TracyWidom 0.4 imports the deprecated scipy.misc.derivative.
        warnings.simplefilter("ignore", DeprecationWarning)
        from TracyWidom import TracyWidom

    return TracyWidom(beta=1)


def tracy_widom1_cdf(x):
    """Distribution function of TW1, from the ``TracyWidom`` package.

    Examples
    --------
    >>> round(float(tracy_widom1_cdf(-1.2686)), 3)  # the median
    0.5
    """
    x = check_array(x, "x")
    return np.asarray(_tracy_widom1().cdf(x), dtype=float).reshape(x.shape)[()]


def tracy_widom1_quantile(p: float) -> float:
    """Quantile of TW1, from the ``TracyWidom`` package.

    Examples
    --------
    >>> round(tracy_widom1_quantile(0.95), 3)
    0.979
    """
    p = check_real(p, "p", minimum=1e-6, maximum=1 - 1e-6)
    return float(_tracy_widom1().cdfinv(p))


def tracy_widom_unit(law, N: int) -> float:
    """The Tracy–Widom length scale at the right edge ``b`` of ``law`` for ``N`` eigenvalues.

    Near a square-root edge the density is ``pdf(x) ~ C sqrt(b - x)``; the largest
    eigenvalue then fluctuates on the scale ``(pi C)^(-2/3) N^(-2/3)``, which is
    ``sigma N^(-2/3)`` for the semicircle (``C = 1/(pi sigma^(3/2))``). ``C`` is read
    from ``law.pdf`` just inside the edge.

    Examples
    --------
    >>> from rmtlib.laws import Semicircle
    >>> round(tracy_widom_unit(Semicircle(sigma=2.0), 1000) * 1000 ** (2 / 3), 3)
    2.0
    """
    N = check_int(N, "N", minimum=2)
    a, b = law.support()[-1]
    delta = 1e-6 * (b - a)
    C = float(law.pdf(b - delta)) / np.sqrt(delta)
    if not C > 0:
        raise ValueError("the law has no square-root right edge (pdf vanishes just inside the edge)")
    return float((np.pi * C) ** (-2 / 3) * N ** (-2 / 3))
