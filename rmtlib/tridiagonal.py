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
``x``, :func:`count_below`), vectorized over blocks of the index and over the bin
edges: no matrix and no eigenvalue is formed.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

from ._validation import check_array, check_generator, check_int, check_real

__all__ = ["tridiagonal_model", "tridiagonal_histogram", "sturm_histogram", "count_below"]

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


def tridiagonal_histogram(N: int, bins, *, beta: float = 1.0, sigma: float = 1.0, rng: np.random.Generator):
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
        Number of eigenvalues in each bin ``[edges[j], edges[j + 1])``;
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
    if isinstance(bins, bool):
        raise TypeError("bins must be a number of bins or an array of bin edges, got a bool")
    if isinstance(bins, (int, np.integer)):
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
        edges[-1] = np.nextafter(hi, np.inf)  # [lo, hi) must also hold an eigenvalue equal to hi
    return sturm_histogram(d, e, edges), edges


def sturm_histogram(diagonal, off_diagonal, edges) -> np.ndarray:
    """Eigenvalue counts of a symmetric tridiagonal matrix in the bins ``[edges[j], edges[j+1])``.

    Exact: the difference of the Sturm counts :func:`count_below` at the edges.

    Examples
    --------
    >>> import numpy as np
    >>> sturm_histogram(np.array([0.0, 0.0]), np.array([1.0]), np.array([-2.0, 0.0, 2.0]))
    array([1, 1])
    """
    edges = check_array(edges, "edges", ndim=1, min_size=2)
    return np.diff(count_below(diagonal, off_diagonal, edges))


def count_below(diagonal, off_diagonal, x) -> np.ndarray:
    """Number of eigenvalues below each ``x`` of the symmetric tridiagonal matrix ``T``.

    The count is the number of negative pivots of ``T - x I = L D L^T`` (Sturm),
    ``q_1 = d_1 - x``, ``q_i = d_i - x - e_{i-1}^2 / q_{i-1}``; a zero pivot (an
    eigenvalue of a leading block exactly at ``x``) is replaced by ``+tiny``, its
    limit from the left, so the count is of eigenvalues strictly below ``x``
    (LAPACK's ``-pivmin`` counts those ``<= x``). The recurrence is sequential in ``i``; to
    vectorize it, the index is cut into about ``sqrt(N)`` blocks: each block's map
    ``q_in -> q_out`` is a Moebius map, composed as a product of the 2 x 2 matrices
    ``[[d_i - x, -e_{i-1}^2], [1, 0]]`` (rescaled against overflow) for all blocks
    and points at once; a short sequential pass over the blocks gives the pivot
    entering each block, and a last pass runs the recurrence in every block at once
    and counts. About ``3 sqrt(N)`` numpy steps on ``sqrt(N) x len(x)`` arrays.
    Points where the composed pivot degenerates fall back to LAPACK ``dstebz``.

    Examples
    --------
    >>> import numpy as np
    >>> count_below(np.array([1.0, 2.0, 3.0]), np.zeros(2), [0.0, 1.5, 2.5, 10.0])
    array([0, 1, 2, 3])
    """
    d = check_array(diagonal, "diagonal", ndim=1, min_size=1)
    e = check_array(off_diagonal, "off_diagonal", ndim=1)
    if e.size != d.size - 1:
        raise ValueError(f"off_diagonal must have len(diagonal) - 1 = {d.size - 1} entries, got {e.size}")
    x = check_array(x, "x", ndim=1)
    scale = max(float(np.abs(d).max()), float(np.abs(e).max(initial=0.0)), float(np.abs(x).max(initial=0.0)))
    scale = scale if scale > 0 else 1.0  # counts do not change under a positive rescaling
    d, e, x = d / scale, e / scale, x / scale
    N, tiny = d.size, np.finfo(float).tiny
    length = max(16, int(np.sqrt(N)))
    n_blocks = -(-N // length)
    shift = np.full(n_blocks * length, 4.0)  # padding: decoupled pivots 4 - x > 0, never counted
    shift[:N] = d
    shift = shift.reshape(n_blocks, length)
    coupling = np.zeros(n_blocks * length)
    coupling[1:N] = e * e
    coupling = coupling.reshape(n_blocks, length)
    # pass 1: the Moebius map of each block, (num, den) -> [[a, b], [c, g]] (num, den)
    a, b = np.ones((n_blocks, x.size)), np.zeros((n_blocks, x.size))
    c, g = np.zeros((n_blocks, x.size)), np.ones((n_blocks, x.size))
    for j in range(length):
        m = shift[:, j, None] - x
        cj = coupling[:, j, None]
        a, b, c, g = m * a - cj * c, m * b - cj * g, a, b
        if j % 8 == 7 or j == length - 1:
            s = np.maximum(np.maximum(np.abs(a), np.abs(b)), np.maximum(np.abs(c), np.abs(g)))
            s[s == 0] = 1.0
            a, b, c, g = a / s, b / s, c / s, g / s
    # pass 2: the pivot entering each block, as (num, den); block 0 starts at infinity
    num, den = np.ones(x.size), np.zeros(x.size)
    start_num, start_den = np.empty((n_blocks, x.size)), np.empty((n_blocks, x.size))
    for k in range(n_blocks):
        start_num[k], start_den[k] = num, den
        num, den = a[k] * num + b[k] * den, c[k] * num + g[k] * den
        s = np.maximum(np.abs(num), np.abs(den))
        num, den = num / np.where(s > 0, s, 1.0), den / np.where(s > 0, s, 1.0)
    usable = np.isfinite(start_num) & np.isfinite(start_den) & ((start_num != 0) | (start_den != 0))
    # pass 3: the pivots inside every block at once
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(start_den == 0, np.inf, start_num / np.where(start_den == 0, 1.0, start_den))
    q[q == 0] = tiny
    negative = np.zeros((n_blocks, x.size), dtype=np.int64)
    for j in range(length):
        q = (shift[:, j, None] - x) - coupling[:, j, None] / q
        q[q == 0] = tiny
        negative += q < 0
    counts = negative.sum(axis=0)
    for i in np.flatnonzero(~usable.all(axis=0)):
        counts[i] = _count_below_lapack(d, e, x[i])
    return counts


def _count_below_lapack(d, e, x) -> int:
    """Eigenvalues below ``x`` by LAPACK ``dstebz`` (range by value, no bisection)."""
    radius = np.r_[0.0, np.abs(e)] + np.r_[np.abs(e), 0.0]
    low = float(np.min(d - radius)) - 1.0
    if x <= low:
        return 0
    # a tolerance wider than the interval stops dstebz before any bisection
    m, _, _, _, info = lapack.dstebz(
        d, e, _RANGE_BY_VALUE, low, np.nextafter(x, -np.inf), 0, 0, 2 * (x - low), b"E"
    )
    if info != 0:
        raise RuntimeError(f"LAPACK dstebz failed (info = {info})")
    return int(m)
