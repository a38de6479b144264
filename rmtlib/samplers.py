"""Random matrices: Wigner, deformed Wigner, rectangular noise and signals, spectra of ``S``.

Conventions (see the book's conventions page): ``W = R/sqrt(N)`` where ``R`` has
i.i.d. entries of mean 0 and variance ``sigma**2``, so every entry of ``W``,
diagonal included, has variance ``sigma**2 / N`` and the semicircle of ``W`` lives
on ``[-2 sigma, 2 sigma]``. Randomness comes only from the required keyword
``rng``, a ``numpy.random.Generator``.

Entry laws (all scaled to mean 0 and variance ``sigma**2``):

``"gaussian"``
    normal entries;
``"rademacher"``
    ``±sigma`` with probability 1/2 each;
``"uniform"``
    uniform on ``[-sqrt(3) sigma, sqrt(3) sigma]``;
``"student_t"``
    Student-t with ``df > 2`` degrees of freedom times ``sigma sqrt((df - 2)/df)``;
``"sparse"``
    0 with probability ``sparsity``, otherwise ``±sigma/sqrt(1 - sparsity)``.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from ._validation import (
    check_array,
    check_choice,
    check_generator,
    check_int,
    check_real,
    check_symmetric,
)
from .tridiagonal import tridiagonal_model

__all__ = [
    "ENTRY_LAWS",
    "wigner",
    "deformed_wigner",
    "spectrum_with_outliers",
    "haar_orthogonal",
    "rectangular_noise",
    "low_rank_signal",
    "rectangular_signal",
    "power_law_bulk",
    "top_eigenvalue_tridiagonal",
]

ENTRY_LAWS = ("gaussian", "rademacher", "uniform", "student_t", "sparse")
_BLOCK = 512  # rows drawn and mirrored at a time


def _entries(shape, entries, df, sparsity, rng) -> np.ndarray:
    """I.i.d. entries of mean 0 and variance 1 from the named law (validated by the caller)."""
    if entries == "gaussian":
        return rng.standard_normal(shape)
    if entries == "rademacher":
        x = rng.integers(0, 2, size=shape, dtype=np.int8).astype(float)
        x *= 2.0
        x -= 1.0
        return x
    if entries == "uniform":
        return rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), size=shape)
    if entries == "student_t":
        x = rng.standard_t(df, size=shape)
        x *= np.sqrt((df - 2.0) / df)
        return x
    # sparse: Bernoulli(1 - sparsity) mask times Rademacher signs, rescaled to variance 1
    keep = 1.0 - sparsity
    u = rng.random(shape)
    x = np.where(u < keep / 2, -1.0, 0.0)
    x[(u >= keep / 2) & (u < keep)] = 1.0
    x /= np.sqrt(keep)
    return x


def _check_entry_law(entries, df, sparsity):
    check_choice(entries, "entries", ENTRY_LAWS)
    df = check_real(df, "df")
    if df <= 2:
        raise ValueError(f"df must be > 2 (finite variance of the Student-t entries), got {df}")
    sparsity = check_real(sparsity, "sparsity", minimum=0.0)
    if sparsity >= 1:
        raise ValueError(f"sparsity (the fraction of zero entries) must be in [0, 1), got {sparsity}")
    return df, sparsity


def _symmetric_entries(N, entries, df, sparsity, rng) -> np.ndarray:
    """Symmetric ``N x N`` array of i.i.d. unit-variance entries on and above the diagonal.

    Draws only the upper triangle (in blocks of rows) and mirrors it, so a matrix
    costs about ``N**2 / 2`` random numbers and no extra ``N x N`` temporary.
    """
    x = np.empty((N, N))
    for i0 in range(0, N, _BLOCK):
        i1 = min(i0 + _BLOCK, N)
        x[i0:i1, i0:] = _entries((i1 - i0, N - i0), entries, df, sparsity, rng)
        x[i0:i1, :i0] = x[:i0, i0:i1].T
        block = x[i0:i1, i0:i1]
        lower = np.tril_indices(i1 - i0, -1)
        block[lower] = block.T[lower]
    return x


def wigner(
    N: int,
    *,
    sigma: float = 1.0,
    entries: str = "gaussian",
    df: float = 5.0,
    sparsity: float = 0.9,
    rng: np.random.Generator,
) -> np.ndarray:
    """Dense symmetric Wigner matrix ``W = R/sqrt(N)``.

    Parameters
    ----------
    N : int
        Size, ``N >= 2``.
    sigma : float
        Entry standard deviation of ``R`` (> 0): every entry of ``W``, on and off
        the diagonal, has variance ``sigma**2 / N`` (the diagonal is *not* the GOE
        ``2 sigma**2 / N``; this changes no limit law).
    entries : {"gaussian", "rademacher", "uniform", "student_t", "sparse"}
        Law of the entries, always scaled to variance ``sigma**2`` (module docstring).
    df : float
        Degrees of freedom for ``"student_t"``, ``> 2``.
    sparsity : float
        Fraction of zero entries for ``"sparse"``, in ``[0, 1)``.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray, shape (N, N)
        Exactly symmetric float64 matrix; its spectrum tends to the semicircle on
        ``[-2 sigma, 2 sigma]``.

    Examples
    --------
    >>> import numpy as np
    >>> W = wigner(500, rng=np.random.default_rng(0))
    >>> bool(np.array_equal(W, W.T)), round(float(np.linalg.eigvalsh(W)[-1]), 1)
    (True, 2.0)
    """
    N = check_int(N, "N", minimum=2)
    sigma = check_real(sigma, "sigma", positive=True)
    df, sparsity = _check_entry_law(entries, df, sparsity)
    check_generator(rng)
    x = _symmetric_entries(N, entries, df, sparsity, rng)
    x *= sigma / np.sqrt(N)
    return x


def haar_orthogonal(N: int, M: int | None = None, *, rng: np.random.Generator) -> np.ndarray:
    """Haar-distributed ``N x M`` matrix with orthonormal columns (``M = N``: orthogonal).

    QR decomposition of a Gaussian matrix, with the signs of ``diag(R)`` moved into
    ``Q`` so that the law is exactly Haar (Mezzadri 2007).

    Examples
    --------
    >>> import numpy as np
    >>> Q = haar_orthogonal(4, rng=np.random.default_rng(0))
    >>> bool(np.allclose(Q.T @ Q, np.eye(4)))
    True
    """
    N = check_int(N, "N", minimum=1)
    M = N if M is None else check_int(M, "M", minimum=1, maximum=N)
    check_generator(rng)
    q, r = np.linalg.qr(rng.standard_normal((N, M)))
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    q *= signs
    return q


def deformed_wigner(
    S_or_spectrum,
    *,
    sigma: float = 1.0,
    basis: str = "diagonal",
    entries: str = "gaussian",
    df: float = 5.0,
    sparsity: float = 0.9,
    return_basis: bool = False,
    rng: np.random.Generator,
):
    """Deformed Wigner matrix ``H = W + S``.

    Parameters
    ----------
    S_or_spectrum : array_like
        Either a symmetric ``N x N`` matrix ``S`` or a 1-D array of its ``N``
        eigenvalues.
    sigma, entries, df, sparsity
        The noise ``W``, as in :func:`wigner`.
    basis : {"diagonal", "haar"}
        ``"diagonal"``: for a spectrum ``s``, ``S = diag(s)``; a matrix is used as
        given. ``"haar"``: ``S`` is conjugated by a Haar orthogonal ``U``, i.e.
        ``U diag(s) U^T`` for a spectrum and ``U S U^T`` for a matrix (same
        spectrum, random eigenvectors).
    return_basis : bool
        Also return ``U`` (identity for ``"diagonal"``). For a spectrum, column
        ``j`` of ``U`` is the eigenvector of ``S`` for ``s[j]``.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    H : numpy.ndarray, shape (N, N)
        Exactly symmetric.
    U : numpy.ndarray, shape (N, N)
        Only with ``return_basis=True``.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.r_[np.zeros(299), 3.0]
    >>> H = deformed_wigner(s, rng=np.random.default_rng(1))
    >>> round(float(np.linalg.eigvalsh(H)[-1]), 1)  # BBP: 3 + 1/3
    3.3
    """
    check_choice(basis, "basis", ("diagonal", "haar"))
    S = check_array(S_or_spectrum, "S_or_spectrum")
    if S.ndim == 2:
        S = check_symmetric(S, "S_or_spectrum")
    elif S.ndim != 1:
        raise ValueError(f"S_or_spectrum must be a symmetric matrix or a 1-D spectrum, got shape {S.shape}")
    N = S.shape[0]
    H = wigner(N, sigma=sigma, entries=entries, df=df, sparsity=sparsity, rng=rng)
    if basis == "diagonal":
        if S.ndim == 1:
            H[np.diag_indices(N)] += S
        else:
            H += S
        return (H, np.eye(N)) if return_basis else H
    U = haar_orthogonal(N, rng=rng)
    rotated = (U * S) @ U.T if S.ndim == 1 else U @ S @ U.T
    H += 0.5 * (rotated + rotated.T)  # exactly symmetric despite rounding in the products
    return (H, U) if return_basis else H


def spectrum_with_outliers(
    N: int, *, bulk, outliers=(), rng: np.random.Generator | None = None
) -> np.ndarray:
    """The ``N`` eigenvalues of ``S``: ``N - r`` bulk values followed by ``r`` outliers.

    Parameters
    ----------
    N : int
        Number of eigenvalues, ``N >= 2``.
    bulk : law or array_like
        A law object (``rmtlib.laws``: anything with ``quantiles(n)`` and
        ``icdf(p)``) or an explicit 1-D array of ``N - r`` values.
    outliers : sequence of float
        The ``r <= N`` outlier eigenvalues ``theta_j``, in the order wanted.
    rng : numpy.random.Generator or None
        ``None``: the bulk is the ``N - r`` classical locations
        ``law.quantiles(N - r)`` (deterministic). A Generator: i.i.d. draws
        ``law.icdf(U)``. An explicit array bulk is used as given (``rng`` unused).

    Returns
    -------
    numpy.ndarray, shape (N,)
        The bulk in ascending order, then the outliers in the given order: entry
        ``N - r + j`` is ``outliers[j]`` (so with ``basis="diagonal"`` in
        :func:`deformed_wigner` its eigenvector is the basis vector ``e_{N-r+j}``).

    Examples
    --------
    >>> spectrum_with_outliers(5, bulk=[-1.0, 0.0, 1.0], outliers=[3.0, 4.0])
    array([-1.,  0.,  1.,  3.,  4.])
    """
    N = check_int(N, "N", minimum=2)
    theta = check_array(outliers, "outliers", ndim=1)
    r = theta.size
    if r > N:
        raise ValueError(f"outliers must have at most N = {N} entries, got {r}")
    n_bulk = N - r
    if hasattr(bulk, "quantiles") and hasattr(bulk, "icdf"):
        if n_bulk == 0:
            values = np.empty(0)
        elif rng is None:
            values = np.asarray(bulk.quantiles(n_bulk), dtype=float)
        else:
            check_generator(rng)
            values = np.asarray(bulk.icdf(rng.random(n_bulk)), dtype=float)
        if values.shape != (n_bulk,) or not np.all(np.isfinite(values)):
            raise ValueError(f"bulk law returned {values.shape} values (non-finite?) for {n_bulk} quantiles")
    else:
        if isinstance(bulk, str) or np.ndim(bulk) != 1:
            raise TypeError(
                "bulk must be a law object (with quantiles and icdf) or a 1-D array of "
                f"N - r = {n_bulk} values, got {type(bulk).__name__}"
            )
        values = check_array(bulk, "bulk", ndim=1)
        if values.size != n_bulk:
            raise ValueError(f"bulk must have N - r = {N} - {r} = {n_bulk} values, got {values.size}")
    return np.concatenate([np.sort(values), theta])


def rectangular_noise(
    N: int,
    M: int,
    *,
    sigma: float = 1.0,
    entries: str = "gaussian",
    df: float = 5.0,
    sparsity: float = 0.9,
    rng: np.random.Generator,
) -> np.ndarray:
    """Rectangular noise ``R/sqrt(N)``, ``N x M``, entries of ``R`` with variance ``sigma**2``.

    The squared singular values follow Marchenko–Pastur with ratio ``gamma = M/N``;
    the singular values fill ``[sigma |1 - sqrt(gamma)|, sigma (1 + sqrt(gamma))]``.
    Entry laws as in :func:`wigner`.

    Examples
    --------
    >>> import numpy as np
    >>> X = rectangular_noise(400, 800, rng=np.random.default_rng(0))
    >>> round(float(np.linalg.svd(X, compute_uv=False)[0]), 1)  # 1 + sqrt(2)
    2.4
    """
    N = check_int(N, "N", minimum=2)
    M = check_int(M, "M", minimum=1)
    sigma = check_real(sigma, "sigma", positive=True)
    df, sparsity = _check_entry_law(entries, df, sparsity)
    check_generator(rng)
    x = _entries((N, M), entries, df, sparsity, rng)
    x *= sigma / np.sqrt(N)
    return x


def low_rank_signal(
    N: int, M: int, singular_values, *, return_vectors: bool = False, rng: np.random.Generator
):
    """Signal ``S = U diag(s) V^T`` (``N x M``) with Haar-random orthonormal ``U``, ``V``.

    Parameters
    ----------
    N, M : int
        Shape of ``S``.
    singular_values : array_like
        The ``r <= min(N, M)`` nonnegative singular values ``s``.
    return_vectors : bool
        Also return ``U`` (``N x r``) and ``V`` (``M x r``); column ``j`` goes with
        ``s[j]``.
    rng : numpy.random.Generator
        Source of randomness.

    Examples
    --------
    >>> import numpy as np
    >>> S = low_rank_signal(50, 80, [3.0, 1.0], rng=np.random.default_rng(0))
    >>> np.round(np.linalg.svd(S, compute_uv=False)[:3], 8)
    array([3., 1., 0.])
    """
    N = check_int(N, "N", minimum=1)
    M = check_int(M, "M", minimum=1)
    s = check_array(singular_values, "singular_values", ndim=1, min_size=1)
    if s.size > min(N, M):
        raise ValueError(f"singular_values must have at most min(N, M) = {min(N, M)} entries, got {s.size}")
    if np.any(s < 0):
        raise ValueError(f"singular_values must be nonnegative (found {s.min():.3g})")
    check_generator(rng)
    U = haar_orthogonal(N, s.size, rng=rng)
    V = haar_orthogonal(M, s.size, rng=rng)
    S = (U * s) @ V.T
    return (S, U, V) if return_vectors else S


def rectangular_signal(
    N: int,
    M: int,
    *,
    bulk,
    outliers=(),
    random_bulk: bool = False,
    return_vectors: bool = False,
    rng: np.random.Generator,
):
    """Full-rank ``N x M`` signal: ``min(N, M)`` singular values from a bulk plus outliers.

    The singular values are ``spectrum_with_outliers(min(N, M), bulk=bulk,
    outliers=outliers)`` (bulk quantiles, or i.i.d. draws with
    ``random_bulk=True``), and the singular vectors are Haar-random, as in
    :func:`low_rank_signal`. With ``return_vectors=True`` returns ``(S, U, V, s)``,
    ``s`` the singular values in the column order of ``U`` and ``V`` (outliers last).

    Examples
    --------
    >>> import numpy as np
    >>> S = rectangular_signal(6, 4, bulk=[0.5, 1.0, 1.5], outliers=[5.0], rng=np.random.default_rng(0))
    >>> np.round(np.linalg.svd(S, compute_uv=False), 8)
    array([5. , 1.5, 1. , 0.5])
    """
    N = check_int(N, "N", minimum=2)
    M = check_int(M, "M", minimum=2)
    check_generator(rng)
    s = spectrum_with_outliers(min(N, M), bulk=bulk, outliers=outliers, rng=rng if random_bulk else None)
    if np.any(s < 0):
        raise ValueError(f"singular values (bulk and outliers) must be nonnegative (found {s.min():.3g})")
    S, U, V = low_rank_signal(N, M, s, return_vectors=True, rng=rng)
    return (S, U, V, s) if return_vectors else S


def power_law_bulk(n: int, *, scale: float = 1.5, power: float = 2.0) -> np.ndarray:
    """``n`` singular values with a power-law density: the quantiles of ``s = scale U^power``
    (``U`` uniform), density proportional to ``s^(1/power - 1)`` on ``[0, scale]``; ascending.

    Examples
    --------
    >>> power_law_bulk(4).round(4)
    array([0.0234, 0.2109, 0.5859, 1.1484])
    """
    n = check_int(n, "n", minimum=1)
    scale = check_real(scale, "scale", positive=True)
    power = check_real(power, "power", positive=True)
    return scale * ((np.arange(n) + 0.5) / n) ** power


def top_eigenvalue_tridiagonal(*, N: int, sigma: float = 1.0, spike: float = 0.0, rng) -> dict[str, float]:
    """Largest eigenvalue of the ``beta = 1`` tridiagonal model, optionally with a spike.

    The Dumitriu-Edelman tridiagonal matrix has the law of the GOE's spectrum
    (diagonal variance ``2 sigma^2/N``), and its Householder reduction fixes the
    first basis vector, so adding ``spike`` to its ``(0, 0)`` entry gives the
    spectrum of ``GOE + spike e_1 e_1^T``. Only the top eigenvalue is computed
    (bisection, ``O(N)``), so ``N = 10^5`` costs milliseconds.

    Returns
    -------
    dict
        ``top`` (the eigenvalue) and ``edge_scaled`` =
        ``N^(2/3) (top - 2 sigma)/sigma`` (the Tracy-Widom scale).

    Examples
    --------
    >>> import numpy as np
    >>> out = top_eigenvalue_tridiagonal(N=20000, spike=2.0, rng=np.random.default_rng(0))
    >>> round(out["top"], 1)  # 2 + 1/2
    2.5
    """
    N = check_int(N, "N", minimum=2)
    sigma = check_real(sigma, "sigma", positive=True)
    spike = check_real(spike, "spike")
    diagonal, off_diagonal = tridiagonal_model(N, beta=1, sigma=sigma, rng=rng)
    diagonal = np.array(diagonal, dtype=float)
    diagonal[0] += spike
    top = linalg.eigvalsh_tridiagonal(diagonal, off_diagonal, select="i", select_range=(N - 1, N - 1))[0]
    top = float(top)
    return {"top": top, "edge_scaled": float(N ** (2 / 3) * (top - 2 * sigma) / sigma)}
