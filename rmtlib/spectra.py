"""Eigenvalues of large symmetric matrices, fast, and distances between spectra and laws.

* :func:`top_eigvalsh` — the ``k`` largest and/or smallest eigenvalues (and
  eigenvectors on request), by Lanczos (ARPACK) or deflated shift-invert block
  Lanczos when ``k`` is small against ``N`` and by LAPACK otherwise.
* :func:`eigvalsh_outside` — all eigenvalues outside an interval (the outliers).
* :func:`empirical_cdf`, :func:`kolmogorov_distance` — the empirical spectral
  distribution and its Kolmogorov distance to a law.

All methods return eigenvalues in ascending order and agree with
``numpy.linalg.eigvalsh`` to ``1e-10 * max|eigenvalue|``.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

from ._validation import MAX_SCALE, as_real_array, check_array, check_choice, check_int, check_symmetric

__all__ = ["top_eigvalsh", "eigvalsh_outside", "empirical_cdf", "kolmogorov_distance"]

_METHODS = ("auto", "lanczos", "shift_invert", "lapack", "full")
_WHICH = ("largest", "smallest", "both")
# ARPACK stops when each Ritz pair has residual <= _LANCZOS_TOL * |Ritz value|;
# the eigenvalue error is then about residual**2 / gap, far below 1e-10 relative.
_LANCZOS_TOL = 1e-9
# Shift-invert accepts Ritz pairs with ||H u - lambda u|| <= _SHIFT_INVERT_TOL * max|eigenvalue|;
# the eigenvalue error is then below 1e-10 relative unless the gap to the next
# eigenvalue is under 1e-6 of the spectral radius. The Krylov space stops at
# _SHIFT_INVERT_MAX_BLOCKS blocks (then Lanczos takes over).
_SHIFT_INVERT_TOL = 1e-8
_SHIFT_INVERT_MAX_BLOCKS = 80
# The Lanczos run that finds the outliers before shift-invert deflates a Ritz pair
# with residual <= _DEFLATE_TOL * scale, takes a residual above _BULK_TOL * scale
# for the top of a bulk (Lanczos converges slowly there), and runs between
# _RITZ_MIN_STEPS and _RITZ_MAX_STEPS steps.
_DEFLATE_TOL = 1e-10
_BULK_TOL = 1e-3
_RITZ_MIN_STEPS, _RITZ_MAX_STEPS = 20, 80
# Measured crossover (bench/bench_spectra.py, one BLAS thread): Lanczos wins for
# the top eigenvalue alone from N ~ 500; the deflated shift-invert for 2 <= k <= 8
# from N ~ 1000 (1.3-1.5x numpy) and for k <= 32 from N ~ 2000 (1.4-1.6x); LAPACK otherwise.


def _auto_method(N: int, k: int) -> str:
    if k == 1 and N >= 500:
        return "lanczos"
    if (N >= 1000 and k <= 8) or (N >= 2000 and k <= 32):
        return "shift_invert"
    return "lapack"


def _lanczos(H, k, largest):
    """Lanczos for the k largest (or smallest) eigenpairs, certified; (None, None) if not.

    A single Krylov sequence sees one vector per eigenspace, so a repeated eigenvalue
    can be missed. The certificate: the extreme eigenvalue of ``H`` deflated by the
    k Ritz vectors (projected onto their orthogonal complement) must not pass the
    k-th Ritz value; otherwise an eigenvalue was missed.
    """
    N = H.shape[0]
    which = "LA" if largest else "SA"
    v0 = np.ones(N) / np.sqrt(N)  # a fixed start vector: reproducible results
    try:
        vals, vecs = scipy.sparse.linalg.eigsh(H, k=k, which=which, tol=_LANCZOS_TOL, v0=v0)
    except scipy.sparse.linalg.ArpackError:  # e.g. a zero matrix: the Krylov sequence stops at once
        return None, None
    order = np.argsort(vals)
    vals, vecs = vals[order], vecs[:, order]

    # the Ritz directions are parked at an eigenvalue beyond the k-th Ritz value
    scale = max(abs(vals[0]), abs(vals[-1]), np.finfo(float).tiny)
    park = vals[0] - max(scale, 1.0) if largest else vals[-1] + max(scale, 1.0)

    def deflated(x):
        c = vecs.T @ x
        y = H @ (x - vecs @ c)
        return y - vecs @ (vecs.T @ y) + park * (vecs @ c)

    operator = scipy.sparse.linalg.LinearOperator((N, N), matvec=deflated, dtype=float)
    start = deflated(np.cos(np.arange(N) * 0.7 + 0.3))  # fixed, generic, orthogonal to the Ritz vectors
    rest = scipy.sparse.linalg.eigsh(
        operator, k=1, which=which, tol=1e-6, v0=start, return_eigenvectors=False
    )[0]
    missed = rest > vals[0] + 1e-8 * scale if largest else rest < vals[-1] - 1e-8 * scale
    return (None, None) if missed else (vals, vecs)


def _lanczos_ritz(H, sign, k, start, rms):
    """Ritz pairs of ``sign * H`` from a short plain Lanczos run, largest first.

    Returns the Ritz values, vectors, residual norms, and ``scale``: the largest
    Ritz value in modulus or the root mean square eigenvalue ``rms`` if larger (a
    lower bound of the spectral radius).

    Full reorthogonalization; one matrix-vector product per step (memory-bound, a
    few milliseconds at N = 4000). Stops once each of the top ``k`` Ritz values has
    either converged (residual ``<= _DEFLATE_TOL * scale``: an isolated outlier) or
    still looks like part of a bulk (residual ``> _BULK_TOL * scale``), after
    ``_RITZ_MAX_STEPS`` steps, or when the Krylov space is invariant.
    """
    N = H.shape[0]
    steps = min(N - 1, _RITZ_MAX_STEPS)
    Q = np.empty((steps + 1, N))  # the Lanczos vectors as rows: contiguous
    alpha, beta = np.empty(steps), np.empty(steps)
    Q[0] = start / np.linalg.norm(start)
    for j in range(steps):
        w = sign * (H @ Q[j])
        alpha[j] = Q[j] @ w
        for _ in range(2):  # twice is enough (Kahan, Parlett)
            w -= (Q[: j + 1] @ w) @ Q[: j + 1]
        beta[j] = np.linalg.norm(w)
        invariant = beta[j] <= 1e-12 * rms
        if not invariant:
            Q[j + 1] = w / beta[j]
        m = j + 1
        if invariant or m == steps or (m >= _RITZ_MIN_STEPS and m % 10 == 0):
            theta, S = scipy.linalg.eigh_tridiagonal(alpha[:m], beta[: m - 1])
            theta, S = theta[::-1], S[:, ::-1]
            scale = max(abs(theta[0]), abs(theta[-1]), rms)
            residual = np.abs(beta[j] * S[-1]) if not invariant else np.zeros(m)
            top = residual[: min(k, m)]
            pending = (top > _DEFLATE_TOL * scale) & (top <= _BULK_TOL * scale)
            if invariant or m == steps or not pending.any():
                return theta, Q[:m].T @ S, residual, scale
    raise AssertionError("unreachable")  # pragma: no cover


def _shift_invert(H, k, largest):
    """Shift-invert block Lanczos for the k largest (or smallest) eigenpairs; (None, None) if it fails.

    With ``s = +1`` (largest) or ``-1`` (smallest), the wanted eigenvalues are the
    largest of ``G = s H``. A short Lanczos run on ``G`` first: the outliers it has
    converged (isolated eigenvalues, ``p < k`` of them) are deflated, moved down to
    the bottom of the spectrum in ``G' = G - U diag(theta - floor) U^T``, and the
    shift ``sigma`` goes just above the next Ritz value (by its residual), at the
    top of the bulk. ``B = sigma I - G'`` is then positive definite (a successful
    Cholesky factorization certifies it: ``G`` has at most ``p`` eigenvalues above
    ``sigma``, the deflated ones), and the top of the bulk is pulled apart in
    ``B^{-1}``. A shift above the outliers instead would squeeze the bulk edge
    together and cost 3x more block steps. When the factorization fails (e.g. a
    repeated outlier Lanczos saw once), the shift goes above the extreme
    eigenvalue of ``G`` with nothing deflated.

    Block Lanczos with full reorthogonalization on ``B^{-1}`` (block triangular
    solves: BLAS-3) from a fixed pseudo-random start block of ``b >= k - p``
    columns (it sees ``b`` vectors of every eigenspace, so a repeated eigenvalue is
    not missed), then a Rayleigh-Ritz step with ``H`` itself on the deflated and
    the new Ritz vectors, accepted when every residual ``||H u - lambda u||`` is
    below ``_SHIFT_INVERT_TOL`` times the spectral radius.
    """
    N = H.shape[0]
    sign = 1.0 if largest else -1.0
    rms = np.linalg.norm(H) / np.sqrt(N)  # root mean square eigenvalue
    b_max = _block_size(k)  # the largest block size used (nothing deflated)
    if rms == 0.0 or min(N, _SHIFT_INVERT_MAX_BLOCKS * b_max) < 2 * b_max:
        return None, None  # no scale to shift by, or too small to pay off
    start = np.random.default_rng(0).standard_normal((N, b_max))  # fixed: reproducible results
    theta, U, residual, scale = _lanczos_ritz(H, sign, k, start[:, 0], rms)
    p, sigma = _deflation(theta, residual, scale, k)
    out = _block_shift_invert(H, sign, k, sigma, U[:, :p], theta[:p] - theta[-1], start, scale)
    if out is not None:
        return out
    try:  # no deflation, the shift above the extreme eigenvalue
        extreme = scipy.sparse.linalg.eigsh(
            H, k=1, which="LA" if largest else "SA", tol=1e-6, v0=start[:, 0], return_eigenvectors=False
        )
    except scipy.sparse.linalg.ArpackError:
        return None, None
    sigma = sign * extreme[0] + 1e-3 * max(abs(extreme[0]), rms)
    out = _block_shift_invert(H, sign, k, sigma, U[:, :0], theta[:0], start, scale)
    return (None, None) if out is None else out


def _block_size(want: int) -> int:
    """Columns per block for ``want`` eigenpairs: at least ``want``, up to ``2 * want`` within 32."""
    return max(want, min(2 * want, 32), 16)


def _deflation(theta, residual, scale, k):
    """How many leading Ritz pairs to deflate, ``p < k``, and the shift ``sigma`` above the rest.

    The converged leading Ritz values are deflated, and ``sigma`` goes above the
    next one by its residual (at least ``1e-3 * scale``). Every deflated value must
    lie above ``sigma``: then an eigenvalue that Lanczos missed is either above
    ``sigma`` (the Cholesky factorization fails and the caller falls back) or below
    every deflated one (found by the block Lanczos among the top of the rest), so
    the top ``k`` cannot be a wrong set.

    Examples
    --------
    >>> _deflation([4.0, 3.0, 2.0, 1.9], [0.0, 0.0, 0.05, 0.1], 4.0, 3)
    (2, 2.05)
    >>> _deflation([4.0, 2.03, 2.0, 1.9], [0.0, 0.0, 0.05, 0.1], 4.0, 3)  # 2.03 is not above 2.05
    (1, 2.034)
    """
    converged = np.asarray(residual) <= _DEFLATE_TOL * scale
    p = min(int(np.argmin(converged)) if not converged.all() else len(theta), k - 1, len(theta) - 1)
    while True:
        sigma = float(theta[p] + max(residual[p], 1e-3 * scale))  # above the top of the rest
        if p == 0 or theta[p - 1] > sigma:
            return p, sigma
        p -= 1


def _block_shift_invert(H, sign, k, sigma, deflated, drop, start, scale):
    """Block Lanczos on ``(sigma I - G')^{-1}``, ``G' = sign H - D diag(drop) D^T``, ``D = deflated``.

    Returns the k largest eigenpairs of ``sign H`` from a Rayleigh-Ritz step on
    ``[D, new Ritz vectors]`` (ascending in ``H``), or None when the factorization
    fails (``sigma`` is not above ``G'``) or the residuals are not certified
    (``scale``: the spectral radius of ``H``, or a lower bound of it).
    """
    N = H.shape[0]
    p = deflated.shape[1]
    want = k - p
    b = _block_size(want)
    max_dim = min(N - p, _SHIFT_INVERT_MAX_BLOCKS * b) // b * b
    if max_dim < 2 * b:
        return None
    tiny = np.finfo(float).tiny
    # H.T in Fortran order is a straight copy of the rows (LAPACK factors it in place);
    # the Cholesky factor reads its upper triangle: the lower one of H, as numpy does
    B = np.multiply(H.T, -sign, order="F")
    if p:  # in place: no second N x N array
        B = scipy.linalg.blas.dgemm(
            1.0, deflated * drop, deflated, beta=1.0, c=B, trans_b=True, overwrite_c=True
        )
    B[np.diag_indices(N)] += sigma
    try:
        factor = scipy.linalg.cho_factor(B, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:  # an eigenvalue beyond sigma: the estimate was off
        return None
    del B

    def project(X):  # onto the complement of the deflated vectors
        return X - deflated @ (deflated.T @ X) if p else X

    Q = np.empty((N, min(max_dim, 32 * b)))  # grows by doubling
    band = np.zeros((b + 1, max_dim))  # T = Q^T B^{-1} Q is block tridiagonal: bandwidth b
    Q[:, :b] = np.linalg.qr(project(start[:, :b]))[0]
    m, step, next_check, last = 0, 0, max(1, -(-2 * want // b)), None
    while m + b <= max_dim:
        W = project(scipy.linalg.cho_solve(factor, Q[:, m : m + b], check_finite=False))
        C = Q[:, : m + b].T @ W
        for c in range(b):  # column m + c of T, rows m + c - b .. m + c
            lo = max(0, m + c - b)
            band[b - (m + c - lo) :, m + c] = C[lo : m + c + 1, c]
        Y = W - Q[:, : m + b] @ C
        Y -= Q[:, : m + b] @ (Q[:, : m + b].T @ Y)  # full reorthogonalization
        m, step = m + b, step + 1
        Qn, R = np.linalg.qr(project(Y))
        if step >= next_check or m + b > max_dim:
            if last is None:  # the bottom of the spectrum of B^{-1} settles at once
                bottom = scipy.linalg.eig_banded(
                    band[:, :m], eigvals_only=True, select="i", select_range=(0, 0)
                )[0]
                mu_min = max(bottom, tiny)
            mu, S = scipy.linalg.eig_banded(band[:, :m], select="i", select_range=(m - want, m - 1))
            mu = np.maximum(mu, tiny)
            # ||G' u - lambda u|| = ||B r|| / mu <= ||r|| / (mu mu_min), r = R S_last the B^{-1} residual
            estimate = np.linalg.norm(R @ S[m - b :], axis=0).max() / (mu.min() * mu_min)
            target = _SHIFT_INVERT_TOL * scale
            if estimate <= target:
                U = np.hstack([deflated, Q[:, :m] @ S])
                HU = H @ U
                lam, V = np.linalg.eigh(U.T @ HU)
                U, HU = U @ V, HU @ V
                residual = np.linalg.norm(HU - U * lam, axis=0).max()
                # orthonormal columns: no spurious copy of an eigenvalue from a basis gone degenerate
                orthonormal = np.abs(U.T @ U - np.eye(k)).max() <= 1e-10
                if residual <= _SHIFT_INVERT_TOL * scale and orthonormal:
                    return lam, U
            # Krylov convergence is geometric: aim the next check at the predicted step
            rate = (estimate / last[1]) ** (1.0 / (step - last[0])) if last and estimate < last[1] else 0.9
            ahead = np.log(target / estimate) / np.log(rate) if estimate > target else 1.0
            next_check, last = step + int(np.clip(0.8 * ahead, 1, 8)), (step, estimate)
        if m + b > max_dim:
            break
        if m + b > Q.shape[1]:
            Q = np.hstack([Q[:, :m], np.empty((N, min(max_dim, 2 * Q.shape[1]) - m))])
        Q[:, m : m + b] = Qn
    return None


def _one_side(H, k, largest, return_vectors, method):
    """The k largest (or smallest) eigenpairs of H, ascending."""
    N = H.shape[0]
    if method == "shift_invert" and k < N:
        vals, vecs = _shift_invert(H, k, largest)
        if vals is not None:
            return vals, (vecs if return_vectors else None)
        method = "lanczos"
    if method == "lanczos" and k < N - 1:
        vals, vecs = _lanczos(H, k, largest)
        if vals is not None:
            return vals, (vecs if return_vectors else None)
        method = "lapack"  # a repeated eigenvalue hid from Lanczos: take the exact route
    if method == "full":
        if return_vectors:
            vals, vecs = np.linalg.eigh(H)
        else:
            vals, vecs = np.linalg.eigvalsh(H), None
        sl = slice(N - k, N) if largest else slice(0, k)
        return vals[sl], (vecs[:, sl] if return_vectors else None)
    index = [N - k, N - 1] if largest else [0, k - 1]
    out = scipy.linalg.eigh(
        H, subset_by_index=index, eigvals_only=not return_vectors, driver="evr", check_finite=False
    )
    return (out[0], out[1]) if return_vectors else (out, None)


def top_eigvalsh(
    H,
    k: int,
    *,
    which: str = "largest",
    return_vectors: bool = False,
    method: str = "auto",
    check: bool = True,
):
    """The ``k`` extreme eigenvalues of a real symmetric matrix.

    Parameters
    ----------
    H : array_like, shape (N, N)
        Real symmetric matrix.
    k : int
        How many eigenvalues, ``1 <= k <= N``.
    which : {"largest", "smallest", "both"}
        ``"both"`` returns the ``k`` smallest and the ``k`` largest (all ``N``
        eigenvalues when ``2 k >= N``).
    return_vectors : bool
        Also return the orthonormal eigenvectors, one column per eigenvalue.
    method : {"auto", "lanczos", "shift_invert", "lapack", "full"}
        ``"lanczos"``: implicitly restarted Lanczos (``scipy.sparse.linalg.eigsh``)
        with a fixed start vector; ``"shift_invert"``: a short Lanczos run finds
        the outliers and deflates them, then block Lanczos on ``(sigma I - H')^{-1}``
        through one Cholesky factorization, ``sigma`` just above the top of the
        bulk (one extra ``N x N`` array), falling back to Lanczos when it cannot
        certify its answer; ``"lapack"``:
        ``scipy.linalg.eigh`` with ``subset_by_index`` (MRRR, ``driver="evr"``);
        ``"full"``: all eigenvalues by ``numpy.linalg.eigvalsh``/``eigh``.
        ``"auto"`` takes Lanczos for ``k = 1`` from ``N = 500``, shift-invert for
        ``2 <= k <= 8`` from ``N = 1000`` and for ``k <= 32`` from ``N = 2000``,
        LAPACK otherwise (the measured crossover).
    check : bool
        Validate that ``H`` is finite and symmetric (an O(N^2) pass).

    Returns
    -------
    values : numpy.ndarray
        Ascending.
    vectors : numpy.ndarray, shape (N, len(values))
        Only with ``return_vectors=True``.

    Examples
    --------
    >>> import numpy as np
    >>> H = np.diag([1.0, 5.0, 2.0, 4.0, 3.0])
    >>> top_eigvalsh(H, 2)
    array([4., 5.])
    >>> top_eigvalsh(H, 1, which="both")
    array([1., 5.])
    """
    H = check_symmetric(H, "H") if check else as_real_array(H, "H")
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be a square matrix, got shape {H.shape}")
    N = H.shape[0]
    k = check_int(k, "k", minimum=1, maximum=N)
    check_choice(which, "which", _WHICH)
    check_choice(method, "method", _METHODS)
    if which == "both" and 2 * k >= N:
        which, k = "largest", N
    if method == "auto":
        method = _auto_method(N, k)
    scale = _iteration_scale(H) if method in ("lanczos", "shift_invert") else 1.0
    if scale != 1.0:
        H = H / scale
    if which == "both":
        lo_vals, lo_vecs = _one_side(H, k, False, return_vectors, method)
        hi_vals, hi_vecs = _one_side(H, k, True, return_vectors, method)
        values = np.concatenate([lo_vals, hi_vals])
        vectors = np.hstack([lo_vecs, hi_vecs]) if return_vectors else None
    else:
        values, vectors = _one_side(H, k, which == "largest", return_vectors, method)
    values = values * scale if scale != 1.0 else values
    return (values, vectors) if return_vectors else values


def _iteration_scale(H: np.ndarray) -> float:
    """1, or a power of two near ``max |H|`` when that leaves ``[1/MAX_SCALE, MAX_SCALE]``: the
    iterative methods form squares and sums of products of entries, which would overflow or
    underflow there. Dividing by a power of two is exact."""
    top = max(-float(H.min()), float(H.max())) if H.size else 0.0
    if top == 0.0 or 1 / MAX_SCALE <= top <= MAX_SCALE:
        return 1.0
    return float(2.0 ** np.round(np.log2(top)))


def eigvalsh_outside(H, interval, *, return_vectors: bool = False, method: str = "auto", check: bool = True):
    """Eigenvalues of the symmetric ``H`` outside the closed interval ``[a, b]``.

    Asks :func:`top_eigvalsh` for 8 eigenvalues on each side and doubles the count
    until one of them falls inside ``[a, b]``, so the cost follows the number of
    outliers rather than ``N``.

    Parameters
    ----------
    H : array_like, shape (N, N)
        Real symmetric matrix.
    interval : (float, float)
        ``(a, b)`` with ``a <= b``; ``-numpy.inf``/``numpy.inf`` are allowed.
    return_vectors : bool
        Also return the eigenvectors (columns, same order).
    method, check
        As in :func:`top_eigvalsh`.

    Returns
    -------
    values : numpy.ndarray
        Ascending: those ``< a`` then those ``> b``.
    vectors : numpy.ndarray
        Only with ``return_vectors=True``.

    Examples
    --------
    >>> import numpy as np
    >>> eigvalsh_outside(np.diag([-3.0, 0.1, 0.5, 2.5]), (-2, 2))
    array([-3. ,  2.5])
    """
    H = check_symmetric(H, "H") if check else as_real_array(H, "H")
    bounds = as_real_array(interval, "interval") if np.ndim(interval) == 1 else None
    if bounds is None or bounds.shape != (2,) or np.isnan(bounds).any() or bounds[0] > bounds[1]:
        raise ValueError(f"interval must be a pair (a, b) with a <= b, got {interval!r}")
    a, b = bounds
    N = H.shape[0]
    parts = []
    for side, outside in (("smallest", lambda v: v < a), ("largest", lambda v: v > b)):
        k = min(8, N)
        while True:
            out = top_eigvalsh(H, k, which=side, return_vectors=return_vectors, method=method, check=False)
            vals, vecs = out if return_vectors else (out, None)
            keep = outside(vals)
            if not keep.all() or k == N:
                break
            k = min(2 * k, N)
        parts.append((vals[keep], vecs[:, keep] if return_vectors else None))
    (lo_vals, lo_vecs), (hi_vals, hi_vecs) = parts  # disjoint: lo < a <= b < hi
    values = np.concatenate([lo_vals, hi_vals])
    return (values, np.hstack([lo_vecs, hi_vecs])) if return_vectors else values


def empirical_cdf(sample, x):
    """Empirical distribution function ``F_N(x) = #{i : sample_i <= x} / N``.

    Examples
    --------
    >>> empirical_cdf([0.0, 1.0, 1.0, 3.0], [-1.0, 1.0, 2.0, 3.0])
    array([0.  , 0.75, 0.75, 1.  ])
    """
    s = np.sort(check_array(sample, "sample", ndim=1, min_size=1))
    x = check_array(x, "x")
    return np.searchsorted(s, x, side="right") / s.size


def kolmogorov_distance(sample, law) -> float:
    """``sup_x |F_N(x) - F(x)|`` between the empirical cdf of ``sample`` and ``law.cdf``.

    Evaluated on both sides of every jump of ``F_N``, which gives the exact
    supremum when ``F`` is continuous (for a law with atoms it is the supremum
    over the sample points and their left limits on the ``F_N`` side).

    Parameters
    ----------
    sample : array_like, 1-D
        E.g. the eigenvalues of a matrix.
    law : object with a vectorized ``cdf(x)``
        E.g. ``rmtlib.laws.Semicircle()``.

    Examples
    --------
    >>> import numpy as np
    >>> class Unif:
    ...     def cdf(self, x):
    ...         return np.clip(x, 0.0, 1.0)
    >>> kolmogorov_distance([0.25, 0.75], Unif())
    0.25
    """
    s = np.sort(check_array(sample, "sample", ndim=1, min_size=1))
    if not callable(getattr(law, "cdf", None)):
        raise TypeError(f"law must have a cdf(x) method, got {type(law).__name__}")
    F = np.asarray(law.cdf(s), dtype=float)
    if F.shape != s.shape or not np.all(np.isfinite(F)):
        raise ValueError("law.cdf must return one finite value per sample point")
    n = s.size
    upper = np.arange(1, n + 1) / n - F
    lower = F - np.arange(n) / n
    return float(max(upper.max(), lower.max()))
