"""Chapter experiments: parameters in, numbers out.

Each function here is one simulation that a theorem chapter (T1-T5) plots or
checks, written so that a sweep can call it too: keyword-only parameters, the
randomness from the required keyword ``rng``, and a ``dict`` of floats (or a
small frozen result) out. The tolerances used by the chapters' verdicts are
derived here, next to the fluctuation scale they come from.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
from scipy import linalg as sla
from scipy import stats

from . import laws, outliers, samplers, spectra, tridiagonal
from ._validation import check_array, check_choice, check_generator, check_int, check_real

__all__ = [
    "GrowingOutliers",
    "OutlierComparison",
    "critical_window",
    "deformed_ks",
    "growing_outliers",
    "ks_tolerance",
    "loglog_slope",
    "max_gaussian_quantile",
    "outlier_comparison",
    "outlier_errors",
    "outlier_fluctuation_variance",
    "spike",
    "top_eigenvalue_tridiagonal",
    "tracy_widom_unit",
]


# --------------------------------------------------------------------------- tolerances


def ks_tolerance(N: int, *, beta: int = 1, safety: float = 2.0) -> float:
    """Tolerance for the Kolmogorov distance between an ``N x N`` spectrum and its limit law.

    The eigenvalue counting function of a Wigner-type matrix fluctuates like a
    log-correlated field: its largest deviation from ``N F(x)`` over ``x`` is
    ``sqrt(2/beta)/pi * log N`` to leading order (``1/pi`` for ``beta = 2``,
    ``sqrt(2)/pi`` for real symmetric matrices). The Kolmogorov distance is that
    deviation divided by ``N``; the tolerance is ``safety`` times it.

    Parameters
    ----------
    N : int
        Matrix size, ``N >= 2``.
    beta : {1, 2}
        Symmetry class: 1 for real symmetric, 2 for complex Hermitian.
    safety : float
        Multiple of the leading-order deviation (> 0); 2 covers the ``O(1/N)``
        corrections at the sizes of the book.

    Examples
    --------
    >>> round(ks_tolerance(1000), 5)
    0.00622
    """
    N = check_int(N, "N", minimum=2)
    check_choice(beta, "beta", (1, 2))
    safety = check_real(safety, "safety", positive=True)
    return float(safety * np.sqrt(2.0 / beta) / np.pi * np.log(N) / N)


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


def tracy_widom_unit(law, N: int) -> float:
    """The Tracy-Widom length scale at the right edge ``b`` of ``law`` for ``N`` eigenvalues.

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


# --------------------------------------------------------------------------- T1-T3: bulk, edges, spikes


def deformed_ks(*, N: int, nu, sigma: float = 1.0, rng) -> dict[str, float]:
    """Kolmogorov distance between the spectrum of ``H = W + diag(s)`` and ``mu_sc(sigma) ⊞ nu``.

    ``s`` holds the ``N`` classical locations (quantiles) of ``nu``.

    Returns
    -------
    dict
        ``ks`` (the distance) and ``tolerance`` (:func:`ks_tolerance` at ``N``).

    Examples
    --------
    >>> import numpy as np
    >>> from rmtlib.laws import Uniform
    >>> out = deformed_ks(N=400, nu=Uniform(low=-1.0, high=1.0), rng=np.random.default_rng(0))
    >>> bool(out["ks"] < out["tolerance"])
    True
    """
    N = check_int(N, "N", minimum=2)
    sigma = check_real(sigma, "sigma", positive=True)
    check_generator(rng)
    law = laws.FreeConvolutionSemicircle(nu, sigma)
    H = samplers.deformed_wigner(nu.quantiles(N), sigma=sigma, rng=rng)
    return {
        "ks": float(spectra.kolmogorov_distance(np.linalg.eigvalsh(H), law)),
        "tolerance": ks_tolerance(N),
    }


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
    diagonal, off_diagonal = tridiagonal.tridiagonal_model(N, beta=1, sigma=sigma, rng=rng)
    diagonal = np.array(diagonal, dtype=float)
    diagonal[0] += spike
    top = float(sla.eigvalsh_tridiagonal(diagonal, off_diagonal, select="i", select_range=(N - 1, N - 1))[0])
    return {"top": top, "edge_scaled": float(N ** (2 / 3) * (top - 2 * sigma) / sigma)}


def critical_window(*, N: int, w: float, sigma: float = 1.0, rng) -> dict[str, float]:
    """Top eigenvalue of ``GOE + theta e_1 e_1^T`` with ``theta = sigma (1 + w N^(-1/3))``.

    ``w`` is the position inside the BBP critical window. The result is on the
    Tracy-Widom scale: ``edge_scaled = N^(2/3)(lambda_1 - 2 sigma)/sigma`` tends to
    a law that depends on ``w`` only (Tracy-Widom for ``w -> -inf``, the outlier
    ``w^2`` for ``w -> +inf``), whatever ``N``.

    Examples
    --------
    >>> import numpy as np
    >>> out = critical_window(N=10**4, w=6.0, rng=np.random.default_rng(1))
    >>> 0.5 < out["edge_scaled"] / 6.0**2 < 1.5
    True
    """
    N = check_int(N, "N", minimum=2)
    w = check_real(w, "w")
    sigma = check_real(sigma, "sigma", positive=True)
    theta = sigma * (1.0 + w * N ** (-1 / 3))
    out = top_eigenvalue_tridiagonal(N=N, sigma=sigma, spike=theta, rng=rng)
    return {"theta": theta, "top": out["top"], "edge_scaled": out["edge_scaled"]}


def spike(
    *, N: int, theta: float, sigma: float = 1.0, basis: str = "diagonal", entries: str = "gaussian", rng
) -> dict[str, float]:
    """One rank-one deformation ``H = W + theta v v^T``: its top eigenvalue and overlap.

    ``v`` is the last basis vector (``basis="diagonal"``) or a Haar-random unit
    vector (``basis="haar"``); ``W`` is :func:`rmtlib.samplers.wigner`.

    Returns
    -------
    dict
        ``top`` (the largest eigenvalue of ``H``), ``overlap`` (``<u, v>^2`` for its
        unit eigenvector ``u``), and ``scaled`` = ``sqrt(N) (top - rho)`` with
        ``rho = theta + sigma^2/theta`` (``nan`` below the threshold ``theta <= sigma``).

    Examples
    --------
    >>> import numpy as np
    >>> out = spike(N=400, theta=3.0, rng=np.random.default_rng(1))
    >>> abs(out["top"] - 10 / 3) < 0.2, abs(out["overlap"] - 8 / 9) < 0.1  # theta + 1/theta, 1 - 1/theta^2
    (True, True)
    """
    N = check_int(N, "N", minimum=2)
    theta = check_real(theta, "theta")
    sigma = check_real(sigma, "sigma", positive=True)
    check_choice(basis, "basis", ("diagonal", "haar"))
    H = samplers.wigner(N, sigma=sigma, entries=entries, rng=rng)
    if basis == "diagonal":
        v = np.zeros(N)
        v[-1] = 1.0
    else:  # a uniform unit vector: the last column of a Haar matrix, without its O(N^3) QR
        v = rng.standard_normal(N)
        v /= np.linalg.norm(v)
    H += theta * np.outer(v, v)  # exactly symmetric: v_i v_j = v_j v_i in floating point
    values, vectors = spectra.top_eigvalsh(H, 1, return_vectors=True)
    top = float(np.max(values))
    u = vectors[:, int(np.argmax(values))]
    rho = theta + sigma**2 / theta if abs(theta) > sigma else np.nan
    return {
        "top": top,
        "overlap": float((u @ v) ** 2),
        "scaled": float(np.sqrt(N) * (top - rho)),
    }


# --------------------------------------------------------------------------- T4: full-rank S with outliers


@dataclasses.dataclass(frozen=True)
class OutlierComparison:
    """Predicted against observed outliers of one ``H = W + S`` (see :func:`outlier_comparison`).

    Arrays are indexed like ``thetas``; ``observed`` and ``overlap_observed`` are
    ``nan`` where the prediction says the outlier is absorbed. ``top`` holds the
    largest eigenvalues of ``H`` (the separated outliers and ten more), decreasing.
    """

    thetas: np.ndarray
    rho: np.ndarray
    separated: np.ndarray
    overlap_predicted: np.ndarray
    observed: np.ndarray
    overlap_observed: np.ndarray
    edge: float
    margin: float
    count_predicted: int
    count_observed: int
    top: np.ndarray


def outlier_comparison(*, N: int, nu, thetas, sigma: float = 1.0, rng) -> OutlierComparison:
    """Outliers of ``H = W + diag(s)``, ``s`` = ``N - r`` quantiles of ``nu`` plus ``thetas``.

    The ``theta_j`` (all above the bulk of ``nu``) are compared with
    :func:`rmtlib.outliers.predict_outliers`: each separated ``theta_j`` is
    matched to the eigenvalue of ``H`` whose eigenvector is most aligned with
    ``e_j`` (its eigenvector in ``S``), and the eigenvalues of ``H`` above the
    right edge of ``mu = mu_sc ⊞ nu`` plus a margin of six Tracy-Widom units
    (:func:`tracy_widom_unit`; the largest bulk eigenvalue exceeds it with
    probability below 1e-4) are counted against the predicted count: the
    separated outliers whose limit lies above that line.

    Examples
    --------
    >>> import numpy as np
    >>> from rmtlib.laws import Uniform
    >>> res = outlier_comparison(N=600, nu=Uniform(low=-1.0, high=1.0), thetas=[1.2, 3.0],
    ...                          rng=np.random.default_rng(0))
    >>> res.separated.tolist(), res.count_predicted, res.count_observed
    ([False, True], 1, 1)
    >>> round(float(res.rho[1]), 4), bool(abs(res.observed[1] - res.rho[1]) < 0.15)
    (3.3466, True)
    """
    N = check_int(N, "N", minimum=2)
    thetas = check_array(thetas, "thetas", ndim=1, min_size=1)
    sigma = check_real(sigma, "sigma", positive=True)
    check_generator(rng)
    prediction = outliers.predict_outliers(thetas, nu, sigma)
    mu = laws.FreeConvolutionSemicircle(nu, sigma)
    edge = float(mu.support()[-1][1])
    margin = 6.0 * tracy_widom_unit(mu, N)
    s = samplers.spectrum_with_outliers(N, bulk=nu, outliers=thetas)
    H = samplers.deformed_wigner(s, sigma=sigma, basis="diagonal", rng=rng)
    separated = np.asarray(prediction.separated, dtype=bool)
    k = int(separated.sum()) + 10
    values, vectors = spectra.top_eigvalsh(H, min(k, N), return_vectors=True)
    r = thetas.size
    observed = np.full(r, np.nan)
    overlap_observed = np.full(r, np.nan)
    weights = vectors[N - r :, :] ** 2  # overlaps of the computed eigenvectors with e_{N-r+j}
    for j in np.flatnonzero(separated):
        best = int(np.argmax(weights[j]))
        observed[j] = values[best]
        overlap_observed[j] = weights[j, best]
    rho = np.asarray(prediction.rho, dtype=float)
    return OutlierComparison(
        thetas=thetas,
        rho=rho,
        separated=separated,
        overlap_predicted=np.asarray(prediction.overlap, dtype=float),
        observed=observed,
        overlap_observed=overlap_observed,
        edge=edge,
        margin=margin,
        count_predicted=int(np.sum(separated & (rho > edge + margin))),
        count_observed=int(np.sum(values > edge + margin)),
        top=np.sort(values)[::-1],
    )


# --------------------------------------------------------------------------- T5: r(N) outliers


@dataclasses.dataclass(frozen=True)
class GrowingOutliers:
    """The ``r`` top eigenvalues of ``H`` and their two predictions (see :func:`growing_outliers`).

    All arrays are in decreasing order: ``observed`` (eigenvalues of ``H``),
    ``first_order`` (``H_sigma(theta_j)`` with the limit law ``nu``) and
    ``equivalent`` (the finite-N deterministic equivalent built from the exact
    spectrum of ``S``).
    """

    N: int
    r: int
    thetas: np.ndarray
    observed: np.ndarray
    first_order: np.ndarray
    equivalent: np.ndarray
    edge: float
    next_eigenvalue: float


def _bulk_law(bulk: str):
    check_choice(bulk, "bulk", ("uniform", "semicircle"))
    return laws.Uniform(low=-1.0, high=1.0) if bulk == "uniform" else laws.Semicircle(sigma=0.5)


def _outliers_of_S(N: int, alpha: float, theta_low: float, theta_high: float) -> np.ndarray:
    r = min(max(1, round(N**alpha)), N // 2)
    if r == 1:
        return np.array([0.5 * (theta_low + theta_high)])
    return np.linspace(theta_low, theta_high, r)


@functools.lru_cache(maxsize=64)
def _equivalent_top(N: int, alpha: float, sigma: float, theta_low: float, theta_high: float, bulk: str):
    """The ``r`` largest eigenvalue locations of the deterministic equivalent, decreasing.

    ``S`` is deterministic, so the result is cached and shared by all matrices of a study.
    """
    thetas = _outliers_of_S(N, alpha, theta_low, theta_high)
    s = samplers.spectrum_with_outliers(N, bulk=_bulk_law(bulk), outliers=thetas)
    top = outliers.deterministic_equivalent(s, sigma).largest(thetas.size)
    top.flags.writeable = False
    return top


def growing_outliers(
    *,
    N: int,
    alpha: float,
    sigma: float = 1.0,
    theta_low: float = 2.0,
    theta_high: float = 4.0,
    bulk: str = "uniform",
    rng,
) -> GrowingOutliers:
    """``H = W + diag(s)`` with ``r = round(N^alpha)`` outliers of ``S`` in ``[theta_low, theta_high]``.

    ``s`` = the ``N - r`` quantiles of the bulk law ``nu`` (``"uniform"``:
    ``Uniform[-1, 1]``; ``"semicircle"``: semicircle of radius 1) followed by ``r``
    equally spaced outliers (one at the midpoint when ``r = 1``; ``r <= N/2``).
    Their spacing ``(theta_high - theta_low)/(r - 1)`` falls below the outlier
    fluctuation ``sigma/sqrt(N)`` once ``r`` exceeds about ``sqrt(N)``: the dense
    regime. The deterministic equivalent is
    ``deterministic_equivalent(s, sigma).largest(r)``, computed once per parameter set.

    Examples
    --------
    >>> import numpy as np
    >>> res = growing_outliers(N=400, alpha=0.5, rng=np.random.default_rng(0))
    >>> res.r, bool(res.next_eigenvalue < res.edge + 0.2)
    (20, True)
    >>> bool(np.max(np.abs(res.observed - res.equivalent)) < 0.2)
    True
    """
    N = check_int(N, "N", minimum=4)
    alpha = check_real(alpha, "alpha", minimum=0.0, maximum=1.0)
    sigma = check_real(sigma, "sigma", positive=True)
    theta_low = check_real(theta_low, "theta_low")
    theta_high = check_real(theta_high, "theta_high")
    if not theta_low < theta_high:
        raise ValueError(f"theta_low must be < theta_high, got {theta_low} and {theta_high}")
    nu = _bulk_law(bulk)
    check_generator(rng)
    thetas = _outliers_of_S(N, alpha, theta_low, theta_high)
    r = thetas.size
    prediction = outliers.predict_outliers(thetas, nu, sigma)
    if not np.all(prediction.separated):
        raise ValueError(
            f"theta_low = {theta_low} is below the threshold {prediction.threshold_right:.4g} for "
            f"bulk = {bulk!r}, sigma = {sigma}: every outlier must separate"
        )
    s = samplers.spectrum_with_outliers(N, bulk=nu, outliers=thetas)
    H = samplers.deformed_wigner(s, sigma=sigma, basis="diagonal", rng=rng)
    values = np.sort(spectra.top_eigvalsh(H, r + 1))[::-1]
    return GrowingOutliers(
        N=N,
        r=r,
        thetas=thetas,
        observed=values[:r],
        first_order=np.sort(np.asarray(prediction.rho, dtype=float))[::-1],
        equivalent=np.array(_equivalent_top(N, alpha, sigma, theta_low, theta_high, bulk)),
        edge=float(laws.FreeConvolutionSemicircle(nu, sigma).support()[-1][1]),
        next_eigenvalue=float(values[r]),
    )


def outlier_errors(
    *,
    N: int,
    alpha: float,
    sigma: float = 1.0,
    theta_low: float = 2.0,
    theta_high: float = 4.0,
    bulk: str = "uniform",
    rng,
) -> dict[str, float]:
    """Errors of the two predictions for the ``r = N^alpha`` outliers of :func:`growing_outliers`.

    Returns
    -------
    dict
        ``r``; ``max_error_first_order`` and ``mean_error_first_order``
        (``max_j`` and mean of ``|lambda_j - H_sigma(theta_j)|``, both sorted in
        decreasing order); ``max_error_equivalent`` and ``mean_error_equivalent``
        (the same against the deterministic equivalent); ``fluctuation`` =
        ``sigma/sqrt(N)``, the scale of one outlier's fluctuations.

    Examples
    --------
    >>> import numpy as np
    >>> out = outlier_errors(N=300, alpha=0.25, rng=np.random.default_rng(2))
    >>> out["r"], out["max_error_first_order"] < 6 * out["fluctuation"]
    (4.0, True)
    """
    res = growing_outliers(
        N=N, alpha=alpha, sigma=sigma, theta_low=theta_low, theta_high=theta_high, bulk=bulk, rng=rng
    )
    first = np.abs(res.observed - res.first_order)
    equiv = np.abs(res.observed - res.equivalent)
    return {
        "r": float(res.r),
        "max_error_first_order": float(first.max()),
        "mean_error_first_order": float(first.mean()),
        "max_error_equivalent": float(equiv.max()),
        "mean_error_equivalent": float(equiv.mean()),
        "fluctuation": float(sigma / np.sqrt(res.N)),
    }
