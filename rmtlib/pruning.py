"""RMT pruning and denoising of a rectangular matrix ``W = R/sqrt(N) + S``.

``W`` is ``N x M`` with ``gamma = M/N``; the noise ``R/sqrt(N)`` has entries of
variance ``sigma^2/N``, so its squared singular values follow the
Marchenko–Pastur law with edges ``sigma^2 (1 -+ sqrt(gamma))^2`` (the law of the
``min(N, M)`` nonzero squared singular values, no atom at 0).

* :func:`noise_level` fits ``sigma`` to the middle of the spectrum and refuses a
  poor fit.
* :func:`bulk_edge` is the Marchenko–Pastur edge ``sigma (1 + sqrt(gamma))`` plus a
  Tracy–Widom margin (Johnstone 2001).
* :func:`free_edge` is the edge of the singular values of noise plus a signal
  with a bulk of its own (finite-``N`` Monte Carlo of the rectangular free
  convolution).
* :func:`prune` applies one of three rules (``"mp_edge"``, ``"free_edge"``,
  ``"shrinkage"``); :func:`truncated_svd` and :func:`magnitude_prune` are the
  baselines at a fixed parameter count.
* The chapter experiments built on them are in
  :mod:`rmtlib.experiments.rectangular` (T6) and :mod:`rmtlib.experiments.pruning` (T7).

References: Benaych-Georges & Nadakuditi (2012) for the outlier map and overlaps,
Johnstone (2001) and Tracy & Widom (1996) for the edge fluctuations.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.linalg

from ._validation import MAX_SCALE, check_array, check_choice, check_generator, check_int, check_real
from .laws import MarchenkoPastur
from .outliers import predict_singular_outliers
from .tracy_widom import tracy_widom1_quantile

__all__ = [
    "NoiseFit",
    "PruneResult",
    "noise_level",
    "bulk_edge",
    "free_edge",
    "shrink_singular_values",
    "prune",
    "truncated_svd",
    "magnitude_prune",
    "MIN_SINGULAR_VALUES",
    "noise_fit_threshold",
    "gavish_donoho_lambda",
    "gavish_donoho_omega",
    "gavish_donoho_threshold",
]

#: Fewest singular values for which a Marchenko–Pastur fit is attempted.
MIN_SINGULAR_VALUES = 20


@dataclasses.dataclass(frozen=True)
class NoiseFit:
    """Result of :func:`noise_level`.

    Attributes
    ----------
    sigma : float
        Fitted noise level (entries of the noise have variance ``sigma^2/N``).
    gamma : float
        Aspect ratio ``M/N``.
    distance : float
        Kolmogorov distance between the empirical and the fitted Marchenko–Pastur
        distribution functions of the squared singular values, over the fitted range.
    max_distance : float
        The refusal threshold that was applied.
    quantile_range : tuple of float
        The range of probability levels that was fitted.
    n_fitted : int
        Number of squared singular values inside the fitted range.
    """

    sigma: float
    gamma: float
    distance: float
    max_distance: float
    quantile_range: tuple
    n_fitted: int


@dataclasses.dataclass(frozen=True)
class PruneResult:
    """Result of :func:`prune`.

    Attributes
    ----------
    matrix : ndarray
        The pruned ``N x M`` matrix.
    rule : str
        The rule that was applied.
    kept : int
        Number of singular values kept.
    threshold : float
        Singular values above this were kept.
    sigma : float
        Noise level used.
    singular_values : ndarray
        The kept singular values after shrinkage (equal to the observed ones for
        hard thresholding), in decreasing order.
    left, right : ndarray or None
        Low-rank factors with ``matrix = left @ right`` (``left = U_k * s_k`` is
        ``N x k``, ``right = V_k^T`` is ``k x M``), given only when
        ``k (N + M) < N M``, i.e. when storing them saves parameters.
    n_parameters : int
        Parameters needed to store the pruned matrix: ``k (N + M)`` with the
        factors, ``N M`` without.
    """

    matrix: np.ndarray
    rule: str
    kept: int
    threshold: float
    sigma: float
    singular_values: np.ndarray
    left: np.ndarray | None
    right: np.ndarray | None
    n_parameters: int


def _check_matrix(W, name: str = "W") -> np.ndarray:
    W = check_array(W, name, ndim=2)
    if min(W.shape) < 1:
        raise ValueError(f"{name} must have at least one row and one column, got shape {W.shape}")
    return W


def noise_level(W, *, quantile_range=(0.25, 0.75), max_distance: float | None = None, svd=None) -> NoiseFit:
    """Fit the noise level ``sigma`` of ``W = R/sqrt(N) + S`` to the middle of its spectrum.

    The ``n = min(N, M)`` squared singular values ``x_(1) <= ... <= x_(n)`` are
    matched to the Marchenko–Pastur quantiles at the levels ``p_k = (k - 1/2)/n``.
    Those quantiles scale as ``sigma^2 q_k`` with ``q_k`` the ``sigma = 1`` ones, so
    the least-squares fit over ``p_k`` in ``quantile_range`` is in closed form:
    ``sigma^2 = sum x_(k) q_k / sum q_k^2``. Outliers produced by a low-rank ``S``
    sit above the bulk and do not enter the fit.

    Parameters
    ----------
    W : array_like, shape (N, M)
        The matrix; ``gamma = M/N``.
    quantile_range : tuple of float
        Probability levels ``(lo, hi)`` with ``0 <= lo < hi <= 1`` to fit.
    max_distance : float, optional
        Refusal threshold for the Kolmogorov distance of the fit on the fitted
        range; default ``0.05 + 3/n``. For pure noise the eigenvalues are rigid,
        so the distance is of order ``1/n``, set by the ``1/n`` jumps of the
        empirical distribution function: over Gaussian matrices with ``n`` from 30
        to 1000 and ``gamma`` from 0.25 to 4 the measured mean is about ``2/n`` and
        the largest about ``2.8/n``, so pure noise passes. A distance more than
        0.05 above that floor means the middle of the spectrum is not
        Marchenko–Pastur shaped (``S`` has a bulk comparable to the noise,
        heavy-tailed entries, strong correlations) and ``sigma`` would be
        meaningless.
    svd : tuple, optional
        The thin SVD ``(U, s, Vt)`` of ``W`` when it is already computed (one SVD
        then serves several calls); only ``s`` is read.

    Returns
    -------
    NoiseFit

    Raises
    ------
    ValueError
        If the fit is poor (distance above ``max_distance``), if ``W`` has fewer
        than 20 singular values, or on bad arguments.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> W = 0.5 * rng.standard_normal((400, 200)) / np.sqrt(400)
    >>> fit = noise_level(W)
    >>> round(fit.sigma, 2), fit.gamma, fit.distance < 0.05
    (0.5, 0.5, True)
    """
    W = _check_matrix(W)
    _check_fit_arguments(W.shape, quantile_range, max_distance)
    svd = _check_svd(svd, W.shape)
    singular_values = _singular_values(W) if svd is None else svd[1]
    return _fit_noise(singular_values, W.shape, quantile_range, max_distance)


def _check_svd(svd, shape):
    """``svd`` as a thin SVD ``(U, s, Vt)`` of a matrix of ``shape``, or ``None``."""
    if svd is None:
        return None
    try:
        U, s, Vt = (np.asarray(part) for part in svd)
    except (TypeError, ValueError):
        raise TypeError(
            "svd must be the triple (U, s, Vt) returned by numpy.linalg.svd(W, full_matrices=False)"
        ) from None
    k = min(shape)
    if U.shape != (shape[0], k) or s.shape != (k,) or Vt.shape != (k, shape[1]):
        raise ValueError(
            f"svd must be the thin SVD of W {shape}: shapes {(shape[0], k)}, {(k,)}, {(k, shape[1])}; "
            f"got {U.shape}, {s.shape}, {Vt.shape}"
        )
    return U, s, Vt


def _power_of_two_scale(top: float) -> float:
    """1, or the power of two nearest ``top`` when squares of numbers of that size leave the float range.

    Dividing by a power of two is exact, so values of ordinary size are untouched
    and huge or tiny ones are fitted in units in which their squares are finite.
    """
    if top > 2.0**300 or 0 < top < 2.0**-300:
        return float(2.0 ** np.round(np.log2(top)))
    return 1.0


def _singular_values(W: np.ndarray) -> np.ndarray:
    """Singular values of ``W``, computed on ``W / 2^k`` when its entries are extreme (see above)."""
    scale = _power_of_two_scale(float(np.max(np.abs(W))))
    return np.linalg.svd(W / scale if scale != 1.0 else W, compute_uv=False) * scale


def _check_fit_arguments(shape, quantile_range, max_distance) -> None:
    _check_quantile_range(quantile_range)
    if max_distance is not None:
        check_real(max_distance, "max_distance", positive=True, maximum=1.0)
    if min(shape) < MIN_SINGULAR_VALUES:
        raise ValueError(
            f"W must have at least {MIN_SINGULAR_VALUES} singular values (min(N, M)) for a "
            f"Marchenko–Pastur fit, got shape {shape}"
        )


def noise_fit_threshold(n: int) -> float:
    """The default refusal threshold of :func:`noise_level`: ``0.05 + 3 / n`` for ``n = min(N, M)``
    singular values (the Kolmogorov distance a rigid noise spectrum stays below).

    Examples
    --------
    >>> noise_fit_threshold(100)
    0.08
    """
    n = check_int(n, "n", minimum=1)
    return 0.05 + 3 / n


def _fit_noise(singular_values, shape, quantile_range, max_distance) -> NoiseFit:
    """The fit of :func:`noise_level` from the singular values of ``W`` (arguments already checked)."""
    lo, hi = _check_quantile_range(quantile_range)
    N, M = shape
    n = min(N, M)
    if max_distance is None:
        max_distance = noise_fit_threshold(n)
    gamma = M / N
    scale = _power_of_two_scale(float(np.max(singular_values)))
    x = np.sort((singular_values / scale) ** 2)
    levels = (np.arange(1, n + 1) - 0.5) / n
    inside = (levels >= lo) & (levels <= hi)
    if inside.sum() < 2:
        raise ValueError(f"quantile_range {quantile_range!r} contains fewer than 2 of the {n} values")
    unit = MarchenkoPastur(gamma=gamma, sigma=1.0)
    q = unit.icdf(levels[inside])
    x_in = x[inside]
    sigma2 = float(x_in @ q / (q @ q))
    if sigma2 <= 0:
        raise ValueError("W has no spread in the fitted range (all its singular values there are zero)")
    k = np.nonzero(inside)[0]
    fitted = unit.cdf(x_in / sigma2)
    distance = float(np.max(np.maximum(np.abs((k + 1) / n - fitted), np.abs(k / n - fitted))))
    if distance > max_distance:
        raise ValueError(
            f"the Marchenko–Pastur fit is poor: Kolmogorov distance {distance:.3f} on the quantile "
            f"range {quantile_range!r} exceeds max_distance = {max_distance}; the middle of the "
            "spectrum of W is not Marchenko–Pastur shaped, so no noise level is reported"
        )
    return NoiseFit(
        sigma=float(np.sqrt(sigma2)) * scale,
        gamma=gamma,
        distance=distance,
        max_distance=float(max_distance),
        quantile_range=(lo, hi),
        n_fitted=int(inside.sum()),
    )


def _check_quantile_range(quantile_range) -> tuple[float, float]:
    try:
        lo, hi = quantile_range
    except (TypeError, ValueError):
        raise TypeError(f"quantile_range must be a pair (lo, hi), got {quantile_range!r}") from None
    lo = check_real(lo, "quantile_range[0]", minimum=0.0, maximum=1.0)
    hi = check_real(hi, "quantile_range[1]", minimum=0.0, maximum=1.0)
    if lo >= hi:
        raise ValueError(f"quantile_range must satisfy lo < hi, got {quantile_range!r}")
    return lo, hi


def bulk_edge(N: int, M: int, sigma: float, *, confidence: float = 0.95) -> float:
    """Marchenko–Pastur edge of the singular values of ``R/sqrt(N)`` plus a Tracy–Widom margin.

    The largest eigenvalue ``l`` of ``R R^T`` (``R`` of size ``N x M`` with
    standard Gaussian entries) is that of a white Wishart matrix with ``n =
    max(N, M)`` samples of dimension ``p = min(N, M)`` (``R R^T`` and ``R^T R``
    share their nonzero eigenvalues), and ``(l - mu)/s -> TW1`` with Johnstone's
    (2001) centering and scaling ``mu = (sqrt(n - 1) + sqrt(p))^2``,
    ``s = (sqrt(n - 1) + sqrt(p)) (1/sqrt(n - 1) + 1/sqrt(p))^(1/3)``. The returned
    threshold is ``sigma sqrt((mu + s q)/N)`` with ``q`` the ``confidence``
    quantile of TW1, so that pure noise exceeds it with probability about
    ``1 - confidence``. As ``N -> infinity`` it tends to ``sigma (1 + sqrt(gamma))``.

    Parameters
    ----------
    N, M : int
        Shape of ``W`` (``N, M >= 2``).
    sigma : float
        Noise level.
    confidence : float
        Probability, in ``(0, 1)``, that pure noise stays below the threshold.

    Returns
    -------
    float
        The singular-value threshold.

    Examples
    --------
    >>> t = bulk_edge(1000, 500, 1.0)
    >>> bool(1 + np.sqrt(0.5) < t < 1 + np.sqrt(0.5) + 0.02)
    True
    """
    N = check_int(N, "N", minimum=2)
    M = check_int(M, "M", minimum=2)
    sigma = check_real(sigma, "sigma", positive=True)
    confidence = check_real(confidence, "confidence", minimum=1e-6, maximum=1 - 1e-6)
    n, p = max(N, M), min(N, M)
    root = np.sqrt(n - 1) + np.sqrt(p)
    mu = root**2
    scale = root * (1 / np.sqrt(n - 1) + 1 / np.sqrt(p)) ** (1 / 3)
    return float(sigma * np.sqrt((mu + scale * tracy_widom1_quantile(confidence)) / N))


def free_edge(
    signal_bulk, N: int, M: int, sigma: float, *, confidence: float = 0.95, n_draws: int = 20, rng
) -> float:
    """Edge of the singular values of ``R/sqrt(N) + S_bulk`` when ``S`` has a bulk of its own.

    With a full-rank ``S`` the bulk of the singular values of ``W`` is the
    rectangular free convolution of the Marchenko–Pastur law with the singular
    values of ``S``'s bulk, and its edge lies beyond ``sigma (1 + sqrt(gamma))``. For
    Gaussian noise the singular values of ``S_bulk + R/sqrt(N)`` depend on
    ``S_bulk`` only through its singular values, so ``S_bulk`` is taken
    diagonal, and the edge is estimated at the actual ``N, M`` by Monte Carlo:
    the ``confidence`` quantile of the largest singular value over ``n_draws``
    independent noise draws. This is the finite-``N`` counterpart of the free
    convolution edge, margin included (for ``N = M`` its limit is the right edge
    of ``mu_sc(sigma) ⊞ sym(nu)`` with ``sym(nu)`` the symmetrized singular-value
    law of ``S``, Benaych-Georges 2009). It is an oracle rule: it needs the
    singular values of ``S``'s bulk and ``sigma``.

    Parameters
    ----------
    signal_bulk : array_like
        Singular values (``>= 0``) of the bulk of ``S``, at most ``min(N, M)``
        of them; missing ones are zero.
    N, M : int
        Shape of ``W``.
    sigma : float
        Noise level.
    confidence : float
        Quantile level in ``(0, 1)`` of the largest bulk singular value.
    n_draws : int
        Number of noise draws (``>= 1``). The threshold is itself random: with
        20 draws a bulk singular value exceeds it with probability about 6% at
        ``confidence = 0.95`` (measured at ``N, M = 300, 150``; 7% with 10 draws,
        with a much larger spread from one estimate to the next).
    rng : numpy.random.Generator

    Returns
    -------
    float

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> edge = free_edge(np.zeros(100), 200, 100, 1.0, rng=rng)
    >>> abs(edge - bulk_edge(200, 100, 1.0)) < 0.05
    True
    """
    N = check_int(N, "N", minimum=2)
    M = check_int(M, "M", minimum=2)
    sigma = check_real(sigma, "sigma", positive=True)
    confidence = check_real(confidence, "confidence", minimum=1e-6, maximum=1 - 1e-6)
    n_draws = check_int(n_draws, "n_draws", minimum=1)
    rng = check_generator(rng)
    s = check_array(signal_bulk, "signal_bulk", ndim=1)
    if s.size > min(N, M):
        raise ValueError(f"signal_bulk must have at most min(N, M) = {min(N, M)} values, got {s.size}")
    if np.any(s < 0):
        raise ValueError("signal_bulk must contain singular values (>= 0)")
    diag = np.zeros(min(N, M))
    diag[: s.size] = s
    tops = np.empty(n_draws)
    for i in range(n_draws):
        X = sigma * rng.standard_normal((N, M)) / np.sqrt(N)
        X[np.arange(diag.size), np.arange(diag.size)] += diag
        tops[i] = _largest_singular_value(X)
    return float(np.quantile(tops, confidence))


def _largest_singular_value(X: np.ndarray) -> float:
    """``s_1(X)`` as the root of the top eigenvalue of the smaller Gram matrix.

    One matrix product and a selected eigenvalue cost a fraction of a
    bidiagonalization (about 3x less than ``svd(compute_uv=False)`` at 800 x 400);
    the top eigenvalue of ``X^T X`` is accurate to ``eps s_1^2``, so ``s_1`` to
    relative ``eps``.
    """
    gram = X.T @ X if X.shape[0] >= X.shape[1] else X @ X.T
    n = gram.shape[0]
    top = scipy.linalg.eigvalsh(gram, subset_by_index=[n - 1, n - 1], check_finite=False)[0]
    return float(np.sqrt(max(top, 0.0)))


def shrink_singular_values(observed, *, gamma: float, sigma: float) -> np.ndarray:
    """Invert the Benaych-Georges–Nadakuditi map and apply the overlap factor.

    An outlier at ``y`` comes from a signal singular value ``s`` with
    ``y^2 = (s^2 + a)(s^2 + b)/s^2``, ``a = sigma^2``, ``b = sigma^2 gamma``; the
    inversion is the larger root ``s^2 = ((y^2 - a - b) + sqrt((y^2 - a - b)^2 - 4ab))/2``.
    The returned value is ``s sqrt(c_N c_M)`` with ``c_N, c_M`` the predicted
    squared overlaps of the N-side and M-side singular vectors: for the
    estimator ``sum_k t_k u_k v_k^T`` built on the observed singular vectors this
    is the Frobenius-optimal ``t_k`` in the limit (Nadakuditi 2014, Gavish–Donoho
    2017). Values at or below the edge ``sigma (1 + sqrt(gamma))`` map to 0.

    Parameters
    ----------
    observed : array_like
        Observed singular values.
    gamma, sigma : float
        Aspect ratio ``M/N`` and noise level.

    Returns
    -------
    ndarray
        Shrunk singular values, same shape as ``observed``.

    Examples
    --------
    >>> s = 2.0; a = b = 1.0
    >>> y = np.sqrt((s**2 + a) * (s**2 + b)) / s
    >>> overlap = 1 - a * (b + s**2) / (s**2 * (s**2 + a))
    >>> bool(np.isclose(shrink_singular_values([y], gamma=1.0, sigma=1.0)[0], s * overlap))
    True
    """
    y = check_array(observed, "observed")
    gamma = check_real(gamma, "gamma", positive=True)
    sigma = check_real(sigma, "sigma", positive=True)
    if not (1 / MAX_SCALE <= sigma <= MAX_SCALE and np.all(np.abs(y) <= MAX_SCALE * sigma)):
        return _shrink_in_units_of_sigma(y, gamma, sigma)
    a, b = sigma**2, sigma**2 * gamma
    c = y**2 - a - b
    disc = c**2 - 4 * a * b
    above = (c > 0) & (disc > 0)
    s2 = np.where(above, (c + np.sqrt(np.where(above, disc, 0.0))) / 2, 0.0)
    safe = np.where(above, s2, 1.0)
    overlap_n = 1 - a * (b + safe) / (safe * (safe + a))
    overlap_m = 1 - b * (a + safe) / (safe * (safe + b))
    return np.where(above, np.sqrt(s2 * np.clip(overlap_n * overlap_m, 0.0, 1.0)), 0.0)


def _shrink_in_units_of_sigma(y: np.ndarray, gamma: float, sigma: float) -> np.ndarray:
    """:func:`shrink_singular_values` for extreme scales: with ``u = (sigma/y)^2`` no square overflows.

    The larger root is ``s^2 = y^2 r``, ``r = (c + sqrt(c^2 - 4 gamma u^2))/2``,
    ``c = 1 - (1 + gamma) u``; the overlaps are those that
    :func:`~rmtlib.outliers.predict_singular_outliers` gives at ``s``.
    """
    t = np.abs(y) / sigma
    above = t > 1 + np.sqrt(gamma)
    out = np.zeros(y.shape)
    with np.errstate(under="ignore"):
        u = (1.0 / t[above]) ** 2
    c = 1 - (1 + gamma) * u
    r = 0.5 * (c + np.sqrt(np.clip(c * c - 4 * gamma * u * u, 0.0, None)))
    s = np.abs(y[above]) * np.sqrt(r)
    if s.size:
        p = predict_singular_outliers(s, gamma=gamma, sigma=sigma)
        out[above] = s * np.sqrt(np.clip(p.overlap_left * p.overlap_right, 0.0, 1.0))
    return out


def _low_rank(U, s, Vt, k, rule, threshold, sigma) -> PruneResult:
    N, M = U.shape[0], Vt.shape[1]
    left, right = U[:, :k] * s[:k], Vt[:k]
    factored = k * (N + M) < N * M
    return PruneResult(
        matrix=left @ right,
        rule=rule,
        kept=int(k),
        threshold=float(threshold),
        sigma=float(sigma),
        singular_values=s[:k].copy(),
        left=left if factored else None,
        right=right if factored else None,
        n_parameters=int(k * (N + M) if factored else N * M),
    )


def prune(
    W,
    rule: str = "mp_edge",
    *,
    sigma: float | None = None,
    confidence: float = 0.95,
    quantile_range=(0.25, 0.75),
    max_distance: float | None = None,
    signal_bulk=None,
    n_draws: int = 20,
    rng=None,
    svd=None,
) -> PruneResult:
    """Keep the singular values of ``W`` that stand out of the noise bulk.

    Rules
    -----
    ``"mp_edge"``
        Hard threshold at :func:`bulk_edge` (Marchenko–Pastur edge plus a
        Tracy–Widom margin) with ``sigma`` fitted by :func:`noise_level` unless given.
    ``"shrinkage"``
        The same threshold; the kept singular values are replaced by
        :func:`shrink_singular_values` (BGN inversion times the overlap factor).
    ``"free_edge"``
        Hard threshold at :func:`free_edge`, the edge of noise plus the bulk of
        ``S``; needs ``signal_bulk``, ``sigma`` and ``rng``. Use it when ``S`` is
        full rank: its bulk pushes the edge of ``W``'s bulk beyond the
        Marchenko–Pastur edge, which then keeps bulk singular values.

    Parameters
    ----------
    W : array_like, shape (N, M)
    rule : {"mp_edge", "free_edge", "shrinkage"}
    sigma : float, optional
        Noise level; fitted with :func:`noise_level` when omitted (not allowed
        for ``"free_edge"``).
    confidence : float
        Tracy–Widom (or Monte Carlo) confidence level of the threshold.
    quantile_range, max_distance
        Passed to :func:`noise_level`.
    signal_bulk : array_like, optional
        Singular values of the bulk of ``S`` (``"free_edge"`` only).
    n_draws : int
        Monte Carlo draws for ``"free_edge"``.
    rng : numpy.random.Generator, optional
        Needed for ``"free_edge"`` only.
    svd : tuple, optional
        The thin SVD ``(U, s, Vt)`` of ``W`` (``numpy.linalg.svd(W,
        full_matrices=False)``) when it is already computed: one SVD then serves
        :func:`noise_level` and every rule.

    Returns
    -------
    PruneResult

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> u, v = rng.standard_normal(300), rng.standard_normal(150)
    >>> S = 3.0 * np.outer(u / np.linalg.norm(u), v / np.linalg.norm(v))
    >>> W = S + rng.standard_normal((300, 150)) / np.sqrt(300)
    >>> res = prune(W, "shrinkage")
    >>> res.kept, res.n_parameters
    (1, 450)
    >>> bool(np.linalg.norm(res.matrix - S) < np.linalg.norm(W - S))
    True
    """
    W = _check_matrix(W)
    rule = check_choice(rule, "rule", {"mp_edge", "free_edge", "shrinkage"})
    svd = _check_svd(svd, W.shape)
    return _prune_spectrum(
        _singular_values(W) if svd is None else svd[1],
        (lambda: np.linalg.svd(W, full_matrices=False)) if svd is None else (lambda: svd),
        W.shape,
        rule,
        sigma=sigma,
        confidence=confidence,
        quantile_range=quantile_range,
        max_distance=max_distance,
        signal_bulk=signal_bulk,
        n_draws=n_draws,
        rng=rng,
    )


def _prune_spectrum(
    singular_values,
    factors,
    shape,
    rule,
    *,
    sigma,
    confidence,
    quantile_range,
    max_distance,
    signal_bulk,
    n_draws,
    rng,
) -> PruneResult:
    """:func:`prune` from the singular values of ``W``; ``factors()`` returns its thin SVD when needed."""
    N, M = shape
    if rule == "free_edge":
        if sigma is None or signal_bulk is None or rng is None:
            raise ValueError(
                "rule='free_edge' needs sigma, signal_bulk (singular values of the bulk of S) and rng; "
                "the noise level fitted to the middle of the spectrum is biased when S has a bulk"
            )
        sigma = check_real(sigma, "sigma", positive=True)
        threshold = free_edge(signal_bulk, N, M, sigma, confidence=confidence, n_draws=n_draws, rng=rng)
    else:
        if signal_bulk is not None:
            raise ValueError(f"signal_bulk is used only by rule='free_edge', not by rule={rule!r}")
        if sigma is None:
            _check_fit_arguments(shape, quantile_range, max_distance)
            sigma = _fit_noise(singular_values, shape, quantile_range, max_distance).sigma
        sigma = check_real(sigma, "sigma", positive=True)
        threshold = bulk_edge(N, M, sigma, confidence=confidence)
    k = int(np.sum(singular_values > threshold))
    if k == 0:  # nothing stands out: no singular vectors needed
        U, s, Vt = np.zeros((N, 0)), singular_values, np.zeros((0, M))
    else:
        U, s, Vt = factors()
    if rule == "shrinkage":
        s = s.copy()
        s[:k] = shrink_singular_values(s[:k], gamma=M / N, sigma=sigma)
    return _low_rank(U, s, Vt, k, rule, threshold, sigma)


def truncated_svd(W, rank: int) -> np.ndarray:
    """Best rank-``rank`` approximation of ``W`` in Frobenius norm (Eckart–Young).

    Examples
    --------
    >>> W = np.diag([3.0, 2.0, 1.0])
    >>> truncated_svd(W, 2).diagonal().tolist()
    [3.0, 2.0, 0.0]
    """
    W = _check_matrix(W)
    rank = check_int(rank, "rank", minimum=0, maximum=min(W.shape))
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    return (U[:, :rank] * s[:rank]) @ Vt[:rank]


def magnitude_prune(W, n_keep: int) -> np.ndarray:
    """Keep the ``n_keep`` entries of ``W`` of largest absolute value; zero the others.

    Examples
    --------
    >>> magnitude_prune([[1.0, -4.0], [3.0, 0.5]], 2).tolist()
    [[0.0, -4.0], [3.0, 0.0]]
    """
    W = _check_matrix(W)
    n_keep = check_int(n_keep, "n_keep", minimum=0, maximum=W.size)
    out = np.zeros_like(W)
    if n_keep:
        idx = np.argpartition(np.abs(W).ravel(), W.size - n_keep)[W.size - n_keep :]
        out.ravel()[idx] = W.ravel()[idx]
    return out


def _aspect(shape) -> tuple[int, int, float]:
    if not isinstance(shape, tuple | list) or len(shape) != 2:
        raise TypeError(f"shape must be a pair (N, M), got {shape!r}")
    N = check_int(shape[0], "shape[0] (N)", minimum=1)
    M = check_int(shape[1], "shape[1] (M)", minimum=1)
    return N, M, min(N, M) / max(N, M)


def gavish_donoho_lambda(beta: float) -> float:
    """Gavish and Donoho's optimal hard-threshold coefficient for known noise (IEEE Trans. Inf.
    Theory 60, 2014): ``lambda*(beta) = sqrt(2 (beta + 1) + 8 beta / (beta + 1 + sqrt(beta^2 + 14
    beta + 1)))``, ``beta = m / n <= 1`` the aspect ratio; ``4 / sqrt(3)`` for a square matrix.

    Examples
    --------
    >>> round(gavish_donoho_lambda(1.0), 6), round(4 / 3**0.5, 6)
    (2.309401, 2.309401)
    """
    beta = check_real(beta, "beta", positive=True, maximum=1.0)
    return float(np.sqrt(2 * (beta + 1) + 8 * beta / (beta + 1 + np.sqrt(beta**2 + 14 * beta + 1))))


def gavish_donoho_omega(beta: float) -> float:
    """The unknown-noise coefficient ``omega(beta) = lambda*(beta) / sqrt(mu_beta)``, ``mu_beta`` the
    median of the Marchenko-Pastur law with ratio ``beta`` and unit variance (Gavish and Donoho
    2014; their approximation ``0.56 beta^3 - 0.95 beta^2 + 1.82 beta + 1.43``).

    Examples
    --------
    >>> round(gavish_donoho_omega(1.0), 3)
    2.858
    """
    beta = check_real(beta, "beta", positive=True, maximum=1.0)
    median = float(MarchenkoPastur(gamma=beta, sigma=1.0).icdf(0.5))
    return gavish_donoho_lambda(beta) / float(np.sqrt(median))


def gavish_donoho_threshold(singular_values, shape, *, sigma: float | None = None) -> float:
    """Gavish and Donoho's optimal hard threshold for the singular values of ``W = R/sqrt(N) + S``.

    ``m = min(N, M)``, ``n = max(N, M)``, ``beta = m / n``. With known ``sigma`` (the entries of
    ``R`` have variance ``sigma^2``, so those of ``W - S`` have ``sigma^2 / N``): ``lambda*(beta)
    sqrt(n) sigma / sqrt(N)`` (``4 / sqrt(3) sigma`` for ``N = M``). With unknown noise
    (``sigma=None``): ``omega(beta)`` times the median singular value. Keep the singular values
    above it. It assumes a low-rank ``S``: the median is that of the noise bulk.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sv = np.linalg.svd(rng.standard_normal((200, 200)) / np.sqrt(200), compute_uv=False)
    >>> round(gavish_donoho_threshold(sv, (200, 200), sigma=1.0), 4)
    2.3094
    >>> abs(gavish_donoho_threshold(sv, (200, 200)) - 2.3094) < 0.05
    True
    """
    N, M, beta = _aspect(shape)
    sv = check_array(singular_values, "singular_values", ndim=1, min_size=1)
    if sv.size != min(N, M):
        raise ValueError(f"singular_values must have min(N, M) = {min(N, M)} entries, got {sv.size}")
    if sigma is not None:
        sigma = check_real(sigma, "sigma", positive=True)
        return gavish_donoho_lambda(beta) * float(np.sqrt(max(N, M) / N)) * sigma
    return gavish_donoho_omega(beta) * float(np.median(sv))
