"""The strength at which a group of equal outliers separates from the bulk.

``S`` puts a fraction ``kappa`` of its spectrum at one strength and the rest on a bulk law:
``r = kappa N`` eigenvalues equal to ``theta`` (square model, ``H = R/sqrt(N) + S`` symmetric),
or ``r = kappa min(N, M)`` singular values equal to ``s`` (rectangular model, ``N x M``,
``gamma = M / N``). The limit law of the spectrum of ``H`` (of the squared singular values of
``W``) is then the free convolution of the semicircle with
``nu = (1 - kappa) nu_bulk + kappa delta_theta`` (the information-plus-noise law of
``H = (1 - kappa) H_bulk + kappa delta_(s^2)``).

Both laws are read off a subordination map: on the real line outside the atoms, the complement
of the support is ``{Z(u) : Z'(u) > 0}`` with ``Z(u) = u + sigma^2 G_nu(u)`` (square; Biane
1997) and ``{Z(u) : Z'(u) > 0, q(u) > 0}`` with ``Z(u) = u q^2 + sigma^2 (gamma - 1) q``,
``q = 1 - sigma^2 f_H(u)`` (rectangular, smaller-side normalization; Loubaton and Vallet 2011;
see :mod:`rmtlib.information_plus_noise`). Between the bulk's largest point ``u_b`` and the
group's atom, the law has a gap between the bulk and the group exactly when the ratio
``h = Z' / q`` (``h = Z'`` for the square model) is positive somewhere. ``h`` tends to
``-inf`` at both ends of that interval; as the strength grows, its maximum rises through 0,
and at the threshold two critical points of ``Z`` merge (``Z' = Z'' = 0``: a cusp).
:func:`group_separation_threshold` finds that strength by root-finding in the strength on the
maximum of ``h``, itself located by a bounded Brent search, never read off a sampling grid.

For ``kappa -> 0`` the threshold tends to :func:`single_spike_threshold`, the critical point of
the bulk's own map: BBP's ``sigma`` (square, zero bulk) and ``sigma gamma^(1/4)`` (rectangular,
zero bulk, Benaych-Georges and Nadakuditi 2012).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from ._validation import check_real
from .laws import DiscreteLaw, Law, is_law

__all__ = ["group_separation_threshold", "single_spike_threshold"]

_MODELS = ("square", "rectangular")
_GRID = 129  # Chebyshev points that locate the basin of the maximum of h
_EPS = np.finfo(float).eps


def _check_kappa(kappa) -> float:
    kappa = check_real(kappa, "kappa")
    if not 0 < kappa < 1:
        raise ValueError(
            f"kappa must lie in (0, 1) (the fraction of the spectrum in the group), got {kappa:g}"
        )
    return kappa


def _model(model, sigma, gamma, bulk):
    if model not in _MODELS:
        raise ValueError(f"model must be one of {_MODELS}, got {model!r}")
    sigma = check_real(sigma, "sigma", positive=True)
    if bulk is None:
        bulk = DiscreteLaw([0.0])
    if not is_law(bulk):
        raise TypeError(f"bulk must be a Law (e.g. DiscreteLaw([0.0])), got {type(bulk).__name__}")
    if model == "square":
        if gamma is not None:
            raise ValueError(
                "gamma is the aspect ratio of the rectangular model; leave it out for model='square'"
            )
        return _Square(sigma, bulk)
    if gamma is None:
        raise ValueError("gamma (the aspect ratio M / N) is required for model='rectangular'")
    gamma = check_real(gamma, "gamma", positive=True)
    if not isinstance(bulk, DiscreteLaw):
        raise TypeError(
            "bulk must be a DiscreteLaw of squared singular values for model='rectangular', "
            f"got {type(bulk).__name__}"
        )
    if bulk.atoms[0] < 0:
        raise ValueError(
            f"bulk must be a law on [0, inf) (squared singular values), min atom {bulk.atoms[0]:.6g}"
        )
    return _Rectangular(sigma, gamma, bulk)


class _Square:
    """``h(u) = Z'(u) = 1 - sigma^2 [(1 - kappa) m2(u) + kappa / (theta - u)^2]``,
    ``m2(u) = ∫ dnu(x) / (u - x)^2``."""

    def __init__(self, sigma, bulk: Law):
        self.s2 = sigma**2
        self.bulk = bulk
        self.u_b = float(bulk.support()[-1][1])
        self.scale = sigma + abs(self.u_b)

    def _m2(self, u):
        u = np.asarray(u, dtype=float)
        if isinstance(self.bulk, DiscreteLaw):
            return self.bulk.inverse_power_sums(u.ravel())[0].reshape(u.shape)
        return self.bulk.stieltjes_pair(u + 0j)[1].real

    def h(self, u, theta, kappa):
        return 1 - self.s2 * ((1 - kappa) * self._m2(u) + kappa / (theta - u) ** 2)

    def upper(self, theta, kappa):
        return theta

    def strength(self, theta):
        return theta


class _Rectangular:
    """``h = Z'/q = q + 2 u q' + c q'/q`` on the smaller side, ``q = 1 - s2 f`` and
    ``f = (1 - kappa) f_bulk + kappa / (theta - u)``."""

    def __init__(self, sigma, gamma, bulk: DiscreteLaw):
        self.s2 = sigma**2 * min(gamma, 1.0)
        self.c = self.s2 * (max(gamma, 1.0 / gamma) - 1.0)
        self.t = np.asarray(bulk.atoms, dtype=float)
        self.w = np.asarray(bulk.weights, dtype=float)
        self.u_b = float(self.t[-1])
        self.scale = sigma**2 * (1 + max(gamma, 1 / gamma)) + self.u_b

    def _f(self, u, theta, kappa):
        u = np.asarray(u, dtype=float)
        r = 1.0 / (self.t - u[..., None])
        d = 1.0 / (theta - u)
        f = (1 - kappa) * (r @ self.w) + kappa * d
        fp = (1 - kappa) * ((r * r) @ self.w) + kappa * d * d
        return f, fp

    def h(self, u, theta, kappa):
        f, fp = self._f(u, theta, kappa)
        q, qp = 1 - self.s2 * f, -self.s2 * fp
        return q + 2 * u * qp + self.c * qp / q

    def upper(self, theta, kappa):
        """The root of the decreasing ``q`` between the bulk and the group (``q > 0`` left of it)."""
        lo, hi = self.u_b, theta
        width = hi - lo
        a, b = lo + width * 1e-15, hi - width * 1e-15
        while 1 - self.s2 * self._f(b, theta, kappa)[0] > 0:  # q still positive: move closer to the atom
            b = hi - 0.5 * (hi - b)
        return optimize.brentq(
            lambda u: 1 - self.s2 * self._f(u, theta, kappa)[0], a, b, xtol=1e-15 * self.scale, rtol=4 * _EPS
        )

    def strength(self, theta):
        return float(np.sqrt(theta))


def _max_h(m, theta, kappa) -> float:
    """The maximum of ``h`` over ``(u_b, upper)``: a Chebyshev grid finds its basin, Brent polishes it."""
    lo, hi = m.u_b, m.upper(theta, kappa)
    x = lo + (hi - lo) * 0.5 * (1 - np.cos(np.pi * np.arange(1, _GRID + 1) / (_GRID + 1)))
    with np.errstate(all="ignore"):
        vals = m.h(x, theta, kappa)
    vals = np.where(np.isfinite(vals), vals, -np.inf)
    k = int(np.argmax(vals))
    a = x[k - 1] if k > 0 else lo + (x[0] - lo) * 1e-9
    b = x[k + 1] if k < _GRID - 1 else hi - (hi - x[-1]) * 1e-9
    res = optimize.minimize_scalar(
        lambda u: -float(m.h(u, theta, kappa)),
        bounds=(a, b),
        method="bounded",
        options={"xatol": 1e-13 * m.scale},
    )
    return max(float(vals[k]), -float(res.fun))


def _critical_point(m) -> float:
    """The bulk map's critical point right of the bulk: the largest root of ``h`` with ``kappa = 0``."""

    def h0(u):
        return float(m.h(u, np.inf, 0.0))

    lo = m.u_b + 1e-12 * m.scale
    if h0(lo) >= 0:  # the bulk's edge is itself critical (a square-root edge)
        return m.u_b
    hi = m.u_b + m.scale
    while h0(hi) <= 0:
        hi = m.u_b + 2 * (hi - m.u_b)
    return optimize.brentq(h0, lo, hi, xtol=1e-15 * m.scale, rtol=4 * _EPS)


def single_spike_threshold(
    *, sigma: float, model: str = "square", gamma: float | None = None, bulk: Law | None = None
) -> float:
    """The strength beyond which one outlier of ``S`` leaves the bulk: the ``kappa -> 0`` limit.

    Square: the largest critical point of ``u + sigma^2 G_bulk(u)`` (``sigma`` for a zero bulk,
    BBP); rectangular: the square root of that of the bulk's information-plus-noise map
    (``sigma gamma^(1/4)`` for a zero bulk, Benaych-Georges--Nadakuditi). Parameters as in
    :func:`group_separation_threshold`.

    Examples
    --------
    >>> round(single_spike_threshold(sigma=1.0), 12)
    1.0
    >>> round(single_spike_threshold(sigma=1.0, model="rectangular", gamma=16.0), 12)
    2.0
    """
    m = _model(model, sigma, gamma, bulk)
    return m.strength(_critical_point(m))


def group_separation_threshold(
    kappa: float, *, sigma: float, model: str = "square", gamma: float | None = None, bulk: Law | None = None
) -> float:
    """The strength at which a group of ``r = kappa n`` equal outliers separates from the bulk.

    Parameters
    ----------
    kappa : float
        The group's fraction of the spectrum of ``S``, in (0, 1): ``r = kappa N`` eigenvalues
        (square) or ``r = kappa min(N, M)`` singular values (rectangular).
    sigma : float
        Noise level (> 0): the entries of ``R`` have variance ``sigma^2``.
    model : {"square", "rectangular"}
        ``H = R/sqrt(N) + S`` symmetric (free convolution with the semicircle) or ``N x M``
        (information-plus-noise law).
    gamma : float, optional
        Aspect ratio ``M / N`` (> 0); required for the rectangular model only.
    bulk : Law, optional
        The law of the rest of the spectrum of ``S`` (square: eigenvalues; rectangular: a
        :class:`~rmtlib.laws.DiscreteLaw` of squared singular values, on the smaller side).
        Default: zeros. The group sits to the right of it.

    Returns
    -------
    float
        The group's eigenvalue ``theta`` (square) or singular value ``s`` (rectangular) above
        which the support of the limit law has a gap between the bulk and the group.

    Examples
    --------
    >>> k = 0.1  # zero bulk: sigma ((1 - k)^(1/3) + k^(1/3))^(3/2)
    >>> closed_form = ((1 - k) ** (1 / 3) + k ** (1 / 3)) ** 1.5
    >>> round(group_separation_threshold(k, sigma=1.0) - closed_form, 12)
    0.0
    """
    kappa = _check_kappa(kappa)
    m = _model(model, sigma, gamma, bulk)
    u_star = _critical_point(m)
    lo = max(u_star, m.u_b + 1e-9 * m.scale)
    hi = lo + m.scale
    while _max_h(m, hi, kappa) <= 0:
        hi = lo + 2 * (hi - lo)
    theta = optimize.brentq(lambda th: _max_h(m, th, kappa), lo, hi, xtol=1e-14 * m.scale, rtol=4 * _EPS)
    return m.strength(theta)
