"""The Dumitriu–Edelman tridiagonal beta-Hermite model, scaled like ``W = R/sqrt(N)``.

For ``beta = 1, 2, 4`` the eigenvalues of the symmetric tridiagonal matrix with
diagonal ``d`` and off-diagonal ``e``,

    d_i ~ sigma sqrt(2 / (beta N)) N(0, 1),        i = 1, ..., N,
    e_i ~ sigma chi_{beta (N - i)} / sqrt(beta N),  i = 1, ..., N - 1,

have the law of the GOE/GUE/GSE eigenvalues (Dumitriu and Edelman, J. Math. Phys.
43, 2002), normalized so that off-diagonal entries have variance ``sigma**2/N``
(the diagonal has the GOE variance ``2 sigma**2 / N``); any ``beta > 0`` gives
the beta-Hermite ensemble. The spectrum fills ``[-2 sigma, 2 sigma]`` with the
semicircle law. Sampling costs O(N) and memory O(N), so N = 10^5 or 10^6 is cheap.

:func:`tridiagonal_histogram` counts eigenvalues per bin with Sturm sequences
(the number of negative pivots of ``T - x I`` is the number of eigenvalues below
``x``), through LAPACK's ``dstebz``: no matrix and no eigenvalue is formed.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

from ._validation import check_array, check_generator, check_int, check_real

__all__ = ["tridiagonal_model", "tridiagonal_histogram", "sturm_histogram"]

_RANGE_BY_VALUE = 1  # scipy's dstebz wrapper: 0 all, 1 by value (vl, vu], 2 by index


def tridiagonal_model(N: int, *, beta: float = 1.0, sigma: float = 1.0, rng: np.random.Generator):
    """Sample the scaled beta-Hermite tridiagonal matrix.

    Parameters
    ----------
    N : int
        Size, ``N >= 2``.
    beta : float
        Dyson index, ``> 0`` (1: GOE, 2: GUE, 4: GSE).
    sigma : float
        Scale, ``> 0``: the semicircle has support ``[-2 sigma, 2 sigma]``.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    diagonal : numpy.ndarray, shape (N,)
    off_diagonal : numpy.ndarray, shape (N - 1,)

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.linalg import eigvalsh_tridiagonal
    >>> d, e = tridiagonal_model(2000, rng=np.random.default_rng(0))
    >>> round(float(eigvalsh_tridiagonal(d, e)[-1]), 1)
    2.0
    """
    N = check_int(N, "N", minimum=2)
    beta = check_real(beta, "beta", positive=True)
    sigma = check_real(sigma, "sigma", positive=True)
    check_generator(rng)
    diagonal = rng.standard_normal(N)
    diagonal *= sigma * np.sqrt(2.0 / (beta * N))
    off_diagonal = np.sqrt(rng.chisquare(beta * np.arange(N - 1, 0, -1)))
    off_diagonal *= sigma / np.sqrt(beta * N)
    return diagonal, off_diagonal


def tridiagonal_histogram(
    N: int, bins, *, beta: float = 1.0, sigma: float = 1.0, rng: np.random.Generator
):
    """Eigenvalue histogram of one sampled tridiagonal model, by Sturm counts.

    Parameters
    ----------
    N : int
        Matrix size, ``N >= 2``.
    bins : int or array_like
        Number of equal bins, spanning the Gershgorin interval of the sample
        (which contains every eigenvalue, so the counts sum to ``N``), or the
        increasing bin edges.
    beta, sigma, rng
        As in :func:`tridiagonal_model`.

    Returns
    -------
    counts : numpy.ndarray of int, shape (n_bins,)
        Number of eigenvalues in each bin ``(edges[j], edges[j + 1]]``;
        eigenvalues outside the edges are not counted.
    edges : numpy.ndarray, shape (n_bins + 1,)

    Examples
    --------
    >>> import numpy as np
    >>> counts, edges = tridiagonal_histogram(10_000, 4, rng=np.random.default_rng(0))
    >>> int(counts.sum()), bool(counts[1] > counts[0])
    (10000, True)
    """
    N = check_int(N, "N", minimum=2)
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        n_bins = check_int(bins, "bins", minimum=1)
        edges = None
    else:
        edges = check_array(bins, "bins", ndim=1, min_size=2)
        if np.any(np.diff(edges) <= 0):
            raise ValueError("bins must be strictly increasing bin edges (or a number of bins)")
    d, e = tridiagonal_model(N, beta=beta, sigma=sigma, rng=rng)
    if edges is None:
        radius = np.r_[0.0, np.abs(e)] + np.r_[np.abs(e), 0.0]  # Gershgorin discs hold every eigenvalue
        lo, hi = float(np.min(d - radius)), float(np.max(d + radius))
        edges = np.linspace(lo, hi, n_bins + 1)
        edges[0] = np.nextafter(lo, -np.inf)  # (lo, hi] must also hold an eigenvalue equal to lo
    return sturm_histogram(d, e, edges), edges


def sturm_histogram(diagonal, off_diagonal, edges) -> np.ndarray:
    """Eigenvalue counts of a symmetric tridiagonal matrix in the bins ``(edges[j], edges[j+1]]``.

    Exact (Sturm counts by LAPACK ``dstebz`` with range by value and no bisection).

    Examples
    --------
    >>> import numpy as np
    >>> sturm_histogram(np.array([0.0, 0.0]), np.array([1.0]), np.array([-2.0, 0.0, 2.0]))
    array([1, 1])
    """
    d = check_array(diagonal, "diagonal", ndim=1, min_size=1)
    e = check_array(off_diagonal, "off_diagonal", ndim=1)
    if e.size != d.size - 1:
        raise ValueError(f"off_diagonal must have len(diagonal) - 1 = {d.size - 1} entries, got {e.size}")
    edges = check_array(edges, "edges", ndim=1, min_size=2)
    width = float(edges[-1] - edges[0])
    counts = np.empty(edges.size - 1, dtype=np.int64)
    for j, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        # a tolerance wider than the bin stops dstebz before any bisection: only the count is computed
        m, _, _, _, info = lapack.dstebz(d, e, _RANGE_BY_VALUE, lo, hi, 0, 0, 2.0 * width, b"E")
        if info != 0:
            raise RuntimeError(f"LAPACK dstebz failed (info = {info})")
        counts[j] = m
    return counts
