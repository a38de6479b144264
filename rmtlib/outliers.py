"""Where the outliers go: predictions for deformed Wigner and rectangular models.

* :func:`predict_outliers` -- T3/T4 (Capitaine, Donati-Martin & Féral 2011): an
  eigenvalue ``theta`` of ``S`` outside ``supp(nu)`` produces an outlier of
  ``H = W + S`` at ``rho = H_sigma(theta) = theta + sigma^2 G_nu(theta)`` iff
  ``sigma^2 ∫ dnu / (theta - x)^2 < 1``; the squared eigenvector overlap is
  ``1 - sigma^2 ∫ dnu / (theta - x)^2``.
* :func:`deterministic_equivalent` -- T5: the predicted location of every eigenvalue
  of ``H``, the classical locations (quantiles) of ``mu_sc(sigma) ⊞ ESD(S)`` with the
  exact spectrum of ``S``, outliers included (this book's reconstruction, measured in
  the chapter T5).
* :func:`predict_singular_outliers` -- T6 (Benaych-Georges & Nadakuditi 2012): the
  singular values of ``R / sqrt(N) + S``, by the closed Gaussian form or by the
  D-transform of a general noise law.
* :func:`rectangular_deterministic_equivalent` -- T8: the predicted location of every
  singular value of ``W = R / sqrt(N) + S`` from the exact singular values of ``S``, the
  classical locations of the information-plus-noise law
  (:class:`~rmtlib.information_plus_noise.InformationPlusNoise`).
* :func:`predict_singular_outliers_over_bulk` -- T8: the first-order prediction, each
  outlier of ``S`` alone in front of the bulk of ``S``, ``rho^2 = Z_bulk(s^2)``
  (Benaych-Georges and Nadakuditi's formulas when the bulk is zero).

Notation and equations: the book's page *Conventions* (``book/conventions.md``).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from ._numerics import solve_increasing
from ._validation import (
    MAX_SCALE,
    check_array,
    check_choice,
    check_int,
    check_real,
    check_scale,
    check_signal_to_noise,
)
from .free_convolution import FreeConvolutionSemicircle
from .information_plus_noise import InformationPlusNoise
from .laws import DiscreteLaw, Law, MarchenkoPastur, SquareRootLaw, is_law

__all__ = [
    "OutlierPrediction",
    "DeterministicEquivalent",
    "SingularOutlierPrediction",
    "RectangularDeterministicEquivalent",
    "predict_outliers",
    "deterministic_equivalent",
    "predict_singular_outliers",
    "rectangular_deterministic_equivalent",
    "predict_singular_outliers_over_bulk",
]


@dataclasses.dataclass(frozen=True, eq=False)
class OutlierPrediction:
    """First-order predictions for eigenvalues ``theta`` of ``S`` outside ``supp(nu)``.

    Attributes
    ----------
    theta : ndarray
        The eigenvalues of ``S``, as given.
    rho : ndarray
        ``H_sigma(theta)`` where separated; otherwise the edge of ``supp(mu)`` the
        eigenvalue sticks to.
    separated : ndarray of bool
        ``sigma^2 ∫ dnu / (theta - x)^2 < 1``.
    overlap : ndarray
        Limit of the squared overlap of the eigenvectors of ``H`` and ``S`` (0 if not separated).
    slope : ndarray
        ``H_sigma'(theta) = 1 - sigma^2 ∫ dnu / (theta - x)^2`` (positive iff separated).
    threshold_left, threshold_right : float
        Separation thresholds outside the extreme points of ``supp(nu)``: the real critical
        points of ``H_sigma``; ``theta`` beyond them separates.
    edge_left, edge_right : float
        The extreme edges of the bulk ``supp(mu_sc(sigma) ⊞ nu)``.
    """

    theta: np.ndarray
    rho: np.ndarray
    separated: np.ndarray
    overlap: np.ndarray
    slope: np.ndarray
    threshold_left: float
    threshold_right: float
    edge_left: float
    edge_right: float


def _inside_support(theta: np.ndarray, nu: Law) -> np.ndarray:
    if isinstance(nu, DiscreteLaw):
        return np.isin(theta, nu.atoms)
    inside = np.zeros(theta.shape, dtype=bool)
    for a, b in nu.support():
        inside |= (theta >= a) & (theta <= b)
    return inside


def predict_outliers(thetas, nu: Law, sigma: float) -> OutlierPrediction:
    """Outlier locations and eigenvector overlaps of ``H = W + S`` (T3, T4; Capitaine et al. 2011).

    Parameters
    ----------
    thetas : array_like
        Eigenvalues of ``S`` outside ``supp(nu)``.
    nu : Law
        The limiting law of the bulk of the spectrum of ``S`` (``DiscreteLaw([0.0])``
        for a finite-rank ``S``: the BBP case).
    sigma : float
        Noise level, > 0.

    Returns
    -------
    OutlierPrediction

    Examples
    --------
    >>> p = predict_outliers([3.0, 1.5], DiscreteLaw([-1.0, 1.0]), sigma=1.0)
    >>> p.rho.round(4), p.overlap.round(5), p.separated
    (array([3.375 , 2.5981]), array([0.84375, 0.     ]), array([ True, False]))
    >>> bbp = predict_outliers([2.0], DiscreteLaw([0.0]), sigma=1.0)
    >>> float(bbp.rho[0]), float(bbp.overlap[0])
    (2.5, 0.75)
    """
    if not is_law(nu):
        raise TypeError(f"nu must be a Law (e.g. DiscreteLaw, Uniform), got {type(nu).__name__}")
    sigma = check_real(sigma, "sigma", positive=True)
    theta = check_array(thetas, "thetas").reshape(-1)
    inside = _inside_support(theta, nu)
    if np.any(inside):
        lo, hi = nu.support()[0][0], nu.support()[-1][1]
        raise ValueError(
            f"thetas must lie outside the support of nu (within [{lo:.6g}, {hi:.6g}]); "
            f"inside: {theta[inside][:5].tolist()}"
        )
    f, fp = nu.stieltjes_pair(theta + 0j)
    slope = 1 - sigma**2 * fp.real
    separated = slope > 0
    mu = FreeConvolutionSemicircle(nu, sigma)
    u_bounds = mu.critical_points()
    x_bounds = mu.edges()
    # an absorbed theta lies in a u-interval of supp(mu); it sticks to the nearer edge
    k = np.clip(np.searchsorted(u_bounds, theta) - 1, 0, u_bounds.size - 1)
    k = k - (k % 2)
    nearer_right = (u_bounds[k + 1] - theta) < (theta - u_bounds[k])
    stuck = np.where(nearer_right, x_bounds[k + 1], x_bounds[k])
    rho = np.where(separated, theta - sigma**2 * f.real, stuck)
    return OutlierPrediction(
        theta=theta,
        rho=rho,
        separated=separated,
        overlap=np.where(separated, slope, 0.0),
        slope=slope,
        threshold_left=float(u_bounds[0]),
        threshold_right=float(u_bounds[-1]),
        edge_left=float(x_bounds[0]),
        edge_right=float(x_bounds[-1]),
    )


@dataclasses.dataclass(frozen=True, eq=False)
class DeterministicEquivalent:
    """Predicted eigenvalue locations of ``H = W + S`` from the exact spectrum of ``S``.

    The ``k``-th smallest eigenvalue of ``H`` is predicted at the quantile
    ``(k - 1/2) / N`` of ``law``. :meth:`largest` inverts the cdf only at the
    top ``k`` levels, so reading a few outliers costs far less than
    :attr:`eigenvalues`, which computes all ``N`` locations (once, on first use).

    Attributes
    ----------
    N : int
        Size of ``S``.
    law : FreeConvolutionSemicircle
        ``mu_sc(sigma) ⊞ ESD(S)``.
    support : list of (float, float)
        Its support; isolated outliers of ``S`` give small components of mass ``1/N``.
    """

    N: int
    law: FreeConvolutionSemicircle
    support: list

    @functools.cached_property
    def eigenvalues(self) -> np.ndarray:
        """The ``N`` predicted locations, ascending: ``law.quantiles(N)``."""
        return self.law.quantiles(self.N)

    def largest(self, k: int) -> np.ndarray:
        """The ``k`` largest predicted eigenvalues, in decreasing order."""
        k = check_int(k, "k", minimum=1, maximum=self.N)
        return np.sort(np.atleast_1d(self.law.icdf(1.0 - (np.arange(k) + 0.5) / self.N)))[::-1]


def deterministic_equivalent(s_eigenvalues, sigma: float) -> DeterministicEquivalent:
    """The finite-N deterministic equivalent of the spectrum of ``H = W + S`` (chapter T5).

    The free convolution of the semicircle with the empirical spectrum of ``S``
    (all ``N`` eigenvalues, outliers included); the ``k``-th eigenvalue of ``H`` is
    predicted at its quantile ``(k - 1/2) / N``. Unlike :func:`predict_outliers`,
    this stays accurate when outliers of ``S`` are dense and their bumps merge.

    Parameters
    ----------
    s_eigenvalues : array_like
        The ``N >= 2`` eigenvalues of ``S``.
    sigma : float
        Noise level, > 0.

    Examples
    --------
    >>> s = np.concatenate([np.zeros(98), [3.0, 4.0]])
    >>> de = deterministic_equivalent(s, sigma=1.0)
    >>> de.largest(2).round(2)
    array([4.25, 3.32])
    >>> de.eigenvalues.size
    100
    """
    s = check_array(s_eigenvalues, "s_eigenvalues", ndim=1, min_size=2)
    sigma = check_real(sigma, "sigma", positive=True)
    law = FreeConvolutionSemicircle(DiscreteLaw(s), sigma)
    return DeterministicEquivalent(N=s.size, law=law, support=law.support())


@dataclasses.dataclass(frozen=True, eq=False)
class SingularOutlierPrediction:
    """Singular values of ``R / sqrt(N) + S`` produced by singular values ``s`` of ``S`` (chapter T6).

    Attributes
    ----------
    s : ndarray
        Singular values of ``S``.
    threshold : float
        ``s`` produces an outlier iff ``s > threshold``.
    edge : float
        Upper edge of the noise singular values.
    rho : ndarray
        Limit of the outlier singular value (``edge`` when not separated).
    separated : ndarray of bool
    overlap_left, overlap_right : ndarray
        Squared overlaps of the left (N-side) and right (M-side) singular vectors
        (0 when not separated).
    """

    s: np.ndarray
    threshold: float
    edge: float
    rho: np.ndarray
    separated: np.ndarray
    overlap_left: np.ndarray
    overlap_right: np.ndarray


def _phi_pair(law: Law, z: np.ndarray):
    """``phi(z) = ∫ z / (z^2 - t^2) dmu(t)`` and ``phi'(z)`` for real ``z`` right of the support."""
    z = np.asarray(z, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if isinstance(law, SquareRootLaw):  # phi(z) = -z f_squared(z^2)
            f, fp = law.squared.stieltjes_pair(z * z + 0j)
            return (-z * f).real, (-f - 2 * z * z * fp).real
        fr, fpr = law.stieltjes_pair(z + 0j)
        fl, fpl = law.stieltjes_pair(-z + 0j)
        return (0.5 * (fl - fr)).real, (-0.5 * (fpl + fpr)).real


def _ordinary_scale(s: np.ndarray, sigma: float) -> bool:
    """Whether ``s`` and ``s / sigma`` are of a size whose squares stay inside floating point."""
    return 1 / MAX_SCALE <= sigma <= MAX_SCALE and bool(np.all((s / sigma <= MAX_SCALE) & (s <= MAX_SCALE)))


def predict_singular_outliers(
    s, *, gamma: float, sigma: float, method: str = "closed_form", noise_law: Law | None = None
) -> SingularOutlierPrediction:
    """Benaych-Georges--Nadakuditi predictions for ``W = R / sqrt(N) + S`` (chapter T6).

    ``R`` is ``N x M`` with variance ``sigma^2`` entries, ``gamma = M / N``.

    Parameters
    ----------
    s : array_like
        Singular values of ``S`` (> 0).
    gamma, sigma : float
        Aspect ratio ``M / N`` and noise level (both > 0).
    method : {"closed_form", "d_transform"}
        ``"closed_form"``: the Gaussian formulas (threshold ``sigma gamma^(1/4)``,
        ``rho^2 = (s^2 + sigma^2)(s^2 + sigma^2 gamma) / s^2``). ``"d_transform"``:
        the general form, ``rho = D^{-1}(1 / s^2)`` iff ``s > 1 / sqrt(D(b+))`` with
        ``D(z) = phi(z) (c phi(z) + (1 - c) / z)``, ``c = min(gamma, 1/gamma)``, and
        overlaps ``-2 phi(rho) / (s^2 D'(rho))`` (smaller side) and
        ``-2 (c phi(rho) + (1 - c) / rho) / (s^2 D'(rho))`` (larger side).
    noise_law : Law, optional
        For ``"d_transform"``: the law of the ``min(N, M)`` noise singular values
        (default: ``MarchenkoPastur(gamma, sigma).singular_values()``).

    Examples
    --------
    >>> p = predict_singular_outliers([0.5, 2.0], gamma=0.5, sigma=1.0)
    >>> p.separated, p.rho.round(4)
    (array([False,  True]), array([1.7071, 2.3717]))
    >>> q = predict_singular_outliers([2.0], gamma=0.5, sigma=1.0, method="d_transform")
    >>> bool(np.allclose(q.rho, p.rho[1:])), bool(np.allclose(q.overlap_left, p.overlap_left[1:]))
    (True, True)
    """
    s = check_array(s, "s").reshape(-1)
    if np.any(s <= 0):
        raise ValueError(f"s must contain positive singular values, got min {s.min():.6g}")
    gamma = check_real(gamma, "gamma", positive=True)
    sigma = check_real(sigma, "sigma", positive=True)
    check_choice(method, "method", {"closed_form", "d_transform"})
    if method == "closed_form":
        if noise_law is not None:
            raise ValueError('noise_law is only used with method="d_transform"')
        threshold = sigma * gamma**0.25
        edge = sigma * (1 + np.sqrt(gamma))
        separated = s > threshold
        if _ordinary_scale(s, sigma):
            a, b = sigma**2, sigma**2 * gamma
            s2 = s * s
            with np.errstate(divide="ignore", invalid="ignore"):
                rho = np.sqrt((s2 + a) * (s2 + b) / s2)
                left = 1 - a * (b + s2) / (s2 * (s2 + a))
                right = 1 - b * (a + s2) / (s2 * (s2 + b))
        else:  # the same formulas in units of sigma, with v = (sigma/s)^2: no square leaves the float range
            with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
                v = (sigma / s) ** 2
                rho = s * np.sqrt((1 + v) * (1 + gamma * v))
                left = 1 - (gamma * v + 1) * v / (1 + v)
                right = 1 - gamma * (v + 1) * v / (1 + gamma * v)
        return SingularOutlierPrediction(
            s=s,
            threshold=float(threshold),
            edge=float(edge),
            rho=np.where(separated, rho, edge),
            separated=separated,
            overlap_left=np.where(separated, left, 0.0),
            overlap_right=np.where(separated, right, 0.0),
        )
    if noise_law is None:
        noise_law = MarchenkoPastur(gamma, sigma).singular_values()
    if not is_law(noise_law):
        raise TypeError(f"noise_law must be a Law, got {type(noise_law).__name__}")
    if noise_law.support()[0][0] < 0:
        raise ValueError("noise_law must be a law of singular values (support in [0, inf))")
    c = min(gamma, 1.0 / gamma)
    edge = float(noise_law.support()[-1][1])
    if not _ordinary_scale(s, edge):
        raise ValueError(
            f"method='d_transform' works with s^2 and needs s within a factor {MAX_SCALE:g} of the noise "
            f"edge {edge:g} (got s from {s.min():g} to {s.max():g}); express s and the noise in other units"
        )

    def d_pair(z):
        phi, dphi = _phi_pair(noise_law, z)
        other = c * phi + (1 - c) / z
        return phi * other, dphi * other + phi * (c * dphi - (1 - c) / (z * z)), phi, other

    # at a top atom of a discrete noise law D(b+) is infinite: every s separates
    d_edge = np.inf if isinstance(noise_law, DiscreteLaw) else float(d_pair(np.array([edge]))[0][0])
    threshold = 1.0 / np.sqrt(d_edge) if np.isfinite(d_edge) and d_edge > 0 else 0.0
    separated = s > threshold
    rho = np.full(s.shape, edge)
    small = np.zeros(s.shape)
    large = np.zeros(s.shape)
    if np.any(separated):
        target = 1.0 / s[separated] ** 2
        hi = np.full(target.shape, edge) + 2 * (edge + s[separated])
        while True:
            over = d_pair(hi)[0] > target
            if not np.any(over):
                break
            hi = np.where(over, 2 * hi, hi)

        def fun(z, idx):
            d, dp, _, _ = d_pair(z)
            return target[idx] - d, -dp

        r = solve_increasing(fun, np.full(target.shape, edge), hi)
        _, dp, phi, other = d_pair(r)
        rho[separated] = r
        small[separated] = -2 * phi / (s[separated] ** 2 * dp)
        large[separated] = -2 * other / (s[separated] ** 2 * dp)
    left, right = (small, large) if gamma >= 1 else (large, small)
    return SingularOutlierPrediction(
        s=s,
        threshold=float(threshold),
        edge=edge,
        rho=rho,
        separated=separated,
        overlap_left=left,
        overlap_right=right,
    )


def _check_shape(shape) -> tuple[int, int]:
    if not isinstance(shape, tuple | list) or len(shape) != 2:
        raise TypeError(f"shape must be a pair (N, M), got {shape!r}")
    N = check_int(shape[0], "shape[0] (N)", minimum=1)
    M = check_int(shape[1], "shape[1] (M)", minimum=1)
    return N, M


@dataclasses.dataclass(frozen=True, eq=False)
class RectangularDeterministicEquivalent:
    """Predicted singular values of ``W = R / sqrt(N) + S`` from the exact singular values of ``S``.

    The ``k``-th smallest of the ``n = min(N, M)`` singular values is predicted at
    ``sqrt`` of the quantile ``(k - 1/2) / n`` of ``law``. :meth:`largest` inverts the cdf
    only at the top ``k`` levels.

    Attributes
    ----------
    shape : (int, int)
        ``(N, M)``.
    law : InformationPlusNoise
        The law of the squared singular values.
    support : list of (float, float)
        The support of the law of the singular values (square roots of ``law.support()``).
    """

    shape: tuple
    law: InformationPlusNoise
    support: list

    @property
    def n(self) -> int:
        return min(self.shape)

    @functools.cached_property
    def singular_values(self) -> np.ndarray:
        """The ``n`` predicted singular values, ascending."""
        return np.sqrt(np.maximum(self.law.quantiles(self.n), 0.0))

    def largest(self, k: int) -> np.ndarray:
        """The ``k`` largest predicted singular values, in decreasing order."""
        k = check_int(k, "k", minimum=1, maximum=self.n)
        sq = np.atleast_1d(self.law.icdf(1.0 - (np.arange(k) + 0.5) / self.n))
        return np.sqrt(np.maximum(np.sort(sq)[::-1], 0.0))

    def density(self, s):
        """The density of the singular values at ``s`` (``2 s pdf(s^2)``)."""
        s = check_array(s, "s")
        return np.where(s > 0, 2 * s * self.law.pdf(s * s), 0.0)[()]


def rectangular_deterministic_equivalent(
    s_singular_values, sigma: float, shape
) -> RectangularDeterministicEquivalent:
    """The finite-size deterministic equivalent of the singular values of ``W = R / sqrt(N) + S``.

    Parameters
    ----------
    s_singular_values : array_like
        The ``min(N, M)`` singular values of ``S`` (>= 0; zeros included), outliers included.
    sigma : float
        Standard deviation of the entries of ``R`` (> 0).
    shape : (int, int)
        ``(N, M)``, the shape of ``W``.

    Examples
    --------
    >>> s = np.r_[np.zeros(198), 3.0, 4.0]
    >>> de = rectangular_deterministic_equivalent(s, sigma=1.0, shape=(200, 400))
    >>> de.largest(2).round(2)  # BGN: sqrt((s^2 + 1)(s^2 + 2) / s^2) = 4.37, 3.50
    array([4.37, 3.49])
    >>> de.singular_values.size
    200
    """
    N, M = _check_shape(shape)
    s = check_array(s_singular_values, "s_singular_values", ndim=1)
    if s.size != min(N, M):
        raise ValueError(f"s_singular_values must have min(N, M) = {min(N, M)} entries, got {s.size}")
    if np.any(s < 0):
        raise ValueError(f"s_singular_values must be >= 0, got min {s.min():.6g}")
    sigma = check_scale(sigma, "sigma")
    check_signal_to_noise(s, "s_singular_values", sigma)
    law = InformationPlusNoise(DiscreteLaw(s * s), gamma=M / N, sigma=sigma)
    support = [(float(np.sqrt(max(a, 0.0))), float(np.sqrt(b))) for a, b in law.support()]
    return RectangularDeterministicEquivalent(shape=(N, M), law=law, support=support)


def predict_singular_outliers_over_bulk(
    s_outliers, s_bulk, *, sigma: float, shape
) -> SingularOutlierPrediction:
    """First-order predictions for outliers of ``S`` in front of the bulk of ``S``.

    Each outlier singular value ``s_j`` of ``S`` is treated alone in front of the bulk: with
    ``Z`` the subordination map of the information-plus-noise law of ``s_bulk`` (see
    :class:`InformationPlusNoise`), the singular value of ``W`` it produces is
    ``rho = sqrt(Z(s_j^2))`` when ``s_j^2`` lies right of the last critical point of ``Z``
    (else it sticks to the bulk edge); the squared overlaps of the singular vectors are
    ``Z'(t) / q(t)`` on the smaller side and ``t q(t) Z'(t) / Z(t)`` on the larger side,
    ``t = s_j^2``. For a zero bulk these are Benaych-Georges and Nadakuditi's formulas. The
    other outliers are ignored, which is what fails when they are many or crowded.

    This is the rectangular analogue of ``H_sigma(theta) = theta + sigma^2 G_nu(theta)``: the
    outlier's singular vectors lie in the null space of the bulk of ``S``, not in generic
    position, so the D-transform of the law of ``R / sqrt(N) + S_bulk``
    (:func:`~rmtlib.outliers.predict_singular_outliers`) is not the right first order here.

    Parameters
    ----------
    s_outliers : array_like
        The outlier singular values of ``S`` (> 0).
    s_bulk : array_like
        The other singular values of ``S`` (>= 0).
    sigma : float
        Noise level (> 0).
    shape : (int, int)
        ``(N, M)``.

    Examples
    --------
    >>> p = predict_singular_outliers_over_bulk([3.0], np.zeros(999), sigma=1.0, shape=(1000, 2000))
    >>> round(float(p.rho[0]), 4), round(float(np.sqrt((9 + 1) * (9 + 2) / 9)), 4)
    (3.496, 3.496)
    """
    N, M = _check_shape(shape)
    s_out = check_array(s_outliers, "s_outliers").reshape(-1)
    if np.any(s_out <= 0):
        raise ValueError(f"s_outliers must contain positive singular values, got min {s_out.min():.6g}")
    s_bulk = check_array(s_bulk, "s_bulk", ndim=1, min_size=1)
    if np.any(s_bulk < 0):
        raise ValueError(f"s_bulk must be >= 0, got min {s_bulk.min():.6g}")
    sigma = check_scale(sigma, "sigma")
    check_signal_to_noise(s_out, "s_outliers", sigma)
    check_signal_to_noise(s_bulk, "s_bulk", sigma)
    law = InformationPlusNoise(DiscreteLaw(s_bulk**2), gamma=M / N, sigma=sigma)
    u_right = law._last_critical_point()
    edge = float(np.sqrt(law.support()[-1][1]))
    t = s_out**2
    separated = t > u_right
    z, zp, q = law._map_and_slopes(np.where(separated, t, u_right + 1.0))
    small, large = zp / q, t * q * zp / z
    left, right = (small, large) if N <= M else (large, small)
    return SingularOutlierPrediction(
        s=s_out,
        threshold=float(np.sqrt(u_right)),
        edge=edge,
        rho=np.where(separated, np.sqrt(np.maximum(z, 0.0)), edge),
        separated=separated,
        overlap_left=np.where(separated, left, 0.0),
        overlap_right=np.where(separated, right, 0.0),
    )
