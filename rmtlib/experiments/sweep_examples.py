"""Small experiments that exercise :mod:`rmtlib.sweep` (examples, tests, benchmark).

They follow the experiment contract of :mod:`rmtlib.experiments`: keyword
parameters, a required keyword ``rng``, a ``dict`` of floats out. Chapter
experiments live in the other modules of :mod:`rmtlib.experiments`; these two exist so that the sweep
machinery can be shown and measured on its own.
"""

from __future__ import annotations

import time

from .. import laws, outliers
from .._validation import check_generator, check_real
from .spikes import spike

__all__ = ["spiked_top_eigenvalue", "timed_draw"]


def spiked_top_eigenvalue(*, N: int, theta: float, sigma: float = 1.0, rng) -> dict[str, float]:
    """Largest eigenvalue of a rank-one spiked Wigner matrix against its BBP limit.

    The T3 experiment :func:`~rmtlib.experiments.spikes.spike` (``H = W + theta v v^T``,
    ``W`` from :func:`rmtlib.samplers.wigner`, ``v`` a basis vector), reduced to its top
    eigenvalue and compared with the prediction of
    :func:`rmtlib.outliers.predict_outliers` for ``nu = delta_0``: ``theta + sigma^2 /
    theta`` when ``theta > sigma``, the edge ``2 sigma`` otherwise. A CPU-bound task
    whose cost is set by ``N``.

    Parameters
    ----------
    N : int
        Matrix size, at least 2.
    theta : float
        The spike, ``>= 0``.
    sigma : float, optional
        Noise level, ``> 0``.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    dict
        ``top`` (largest eigenvalue), ``predicted`` (its limit) and ``deviation``
        (``top - predicted``).

    Examples
    --------
    >>> import numpy as np
    >>> out = spiked_top_eigenvalue(N=400, theta=3.0, rng=np.random.default_rng(0))
    >>> round(out["predicted"], 4)
    3.3333
    >>> abs(out["deviation"]) < 0.3
    True
    """
    theta = check_real(theta, "theta", nonnegative=True)
    sigma = check_real(sigma, "sigma", positive=True)
    top = spike(N=N, theta=theta, sigma=sigma, rng=rng)["top"]
    bulk = laws.DiscreteLaw([0.0])
    if theta > 0:
        predicted = float(outliers.predict_outliers([theta], bulk, sigma).rho[0])
    else:  # theta = 0 is the bulk itself: the top eigenvalue goes to the right edge
        predicted = laws.Semicircle(sigma).support()[-1][1]
    return {"top": top, "predicted": predicted, "deviation": top - predicted}


def timed_draw(*, delay: float, value: float = 0.0, rng) -> dict[str, float]:
    """Sleep ``delay`` seconds, then return ``value`` plus one uniform draw.

    A task of known duration and negligible CPU cost: the sweep tests use it to
    interrupt a sweep mid-run, the benchmark to measure per-task overhead.

    Examples
    --------
    >>> import numpy as np
    >>> out = timed_draw(delay=0.0, value=1.0, rng=np.random.default_rng(0))
    >>> 1.0 <= out["draw"] < 2.0
    True
    """
    delay = check_real(delay, "delay", nonnegative=True)
    value = check_real(value, "value")
    rng = check_generator(rng)
    time.sleep(delay)
    return {"draw": value + float(rng.random())}
