"""Limiting spectral laws and the free convolution with a semicircle.

Every law is a small frozen object with validated parameters. A subclass gives
the formulas it knows (``support``, ``pdf``, ``stieltjes``, ...); the base class
:class:`Law` derives what is missing: ``cdf`` by Gauss-Legendre quadrature of
``pdf`` over each support interval, ``icdf`` and ``quantiles`` by safeguarded
Newton inversion of ``cdf``, moments by quadrature.

Conventions (THEORY.md): the Stieltjes transform is ``f(z) = ∫ dmu(x) / (x - z)``,
the Cauchy transform ``G(z) = -f(z)``. On the real axis inside the support,
``stieltjes(x)`` is the boundary value ``f(x + i0)``; in the lower half-plane
``f(conj z) = conj f(z)``.

:class:`FreeConvolutionSemicircle` solves Pastur's equation through the
subordination function ``omega(z) = z + sigma^2 f(z)``, the inverse of
``H(w) = w + sigma^2 G_nu(w)``. Support edges are the values of ``H`` at its real
critical points; inside the support, Biane's parametrization of the curve
``sigma^2 ∫ dnu(a) / |w - a|^2 = 1`` gives starting points from which a
safeguarded complex Newton iteration (kept in the upper half-plane) converges in
a few steps. The cdf is read off the closed-form antiderivative
``1 + Im[∫ log(omega - a) dnu(a) + sigma^2 G_nu(omega)^2 / 2] / (-pi)``.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_array, check_int, check_real, check_weights

__all__ = [
    "Law",
    "Semicircle",
    "MarchenkoPastur",
    "SquareRootLaw",
    "Uniform",
    "DiscreteLaw",
    "FreeConvolutionSemicircle",
    "is_law",
]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(64)
_EPS = np.finfo(float).eps
_CHUNK_ELEMENTS = 1 << 15  # rows x atoms per block when summing over atoms (fits in cache)


def _as_real_points(x, name: str = "x") -> np.ndarray:
    return check_array(x, name)


def _as_complex_points(z, name: str = "z") -> np.ndarray:
    try:
        arr = np.asarray(z, dtype=complex)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers: {exc}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    return arr


def is_law(obj) -> bool:
    """Whether ``obj`` is a law object of this module (an instance of :class:`Law`)."""
    return isinstance(obj, Law)


def _is_discrete(law) -> bool:
    return callable(getattr(law, "_inverse_power_sums", None))


def _upper(z: np.ndarray) -> np.ndarray:
    """``z`` reflected into the closed upper half-plane, real points with imaginary part +0."""
    return z.real + 1j * np.abs(z.imag)


def _solve_increasing(fun, lo, hi, x0=None, *, maxiter: int = 200) -> np.ndarray:
    """Root of an increasing function in each bracket ``[lo, hi]``, elementwise.

    ``fun(x, idx)`` returns ``(value, derivative)`` at the points ``x`` of the entries
    ``idx`` (derivative may be ``None``); Newton steps are taken while they stay
    inside the bracket, bisection otherwise.
    """
    lo = np.array(lo, dtype=float, copy=True)
    hi = np.array(hi, dtype=float, copy=True)
    x = 0.5 * (lo + hi) if x0 is None else np.clip(np.array(x0, dtype=float), lo, hi)
    active = np.ones(x.shape, dtype=bool)
    for _ in range(maxiter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        xa = x[idx]
        with np.errstate(all="ignore"):
            val, der = fun(xa, idx)
        val = np.asarray(val, dtype=float)
        lo[idx] = np.where(val < 0, xa, lo[idx])
        hi[idx] = np.where(val > 0, xa, hi[idx])
        mid = 0.5 * (lo[idx] + hi[idx])
        if der is None:
            new = mid
        else:
            with np.errstate(all="ignore"):
                new = xa - val / np.asarray(der, dtype=float)
            bad = ~np.isfinite(new) | (new <= lo[idx]) | (new >= hi[idx])
            new = np.where(bad, mid, new)
        new = np.where(val == 0, xa, new)
        tol = 4 * _EPS * np.maximum(np.abs(new), 1e-300) + 1e-300
        done = (np.abs(new - xa) <= tol) | (hi[idx] - lo[idx] <= tol) | (val == 0)
        x[idx] = new
        active[idx[done]] = False
    return x


class Law:
    """A probability law on the real line (base class).

    Subclasses set their parameters in ``__init__`` and call ``self._freeze()``;
    they give ``support``, ``pdf`` and ``_stieltjes_pair`` (the Stieltjes transform and
    its derivative in the closed upper half-plane) and may override ``cdf``,
    ``icdf``, ``mean`` and ``var`` with closed forms.

    Examples
    --------
    >>> law = Semicircle(sigma=1.0)
    >>> float(law.cdf(0.0)), float(law.icdf(0.5))
    (0.5, 0.0)
    """

    _frozen = False

    def _freeze(self) -> None:
        object.__setattr__(self, "_frozen", True)

    def __setattr__(self, name, value):
        if self._frozen:
            raise AttributeError(f"{type(self).__name__} is frozen; make a new one instead")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self) -> dict:
        return {}

    # -- to be given by subclasses -------------------------------------------------
    def support(self) -> list[tuple[float, float]]:
        """The support as a sorted list of disjoint closed intervals ``(a, b)``."""
        raise NotImplementedError

    def pdf(self, x):
        """The density at ``x`` (0 outside the support)."""
        raise NotImplementedError

    def _stieltjes_pair(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(f(w), f'(w))`` for ``w`` in the closed upper half-plane (default: quadrature)."""
        return self._quadrature_stieltjes_pair(w)

    # -- derived -------------------------------------------------------------------
    def stieltjes(self, z):
        """Stieltjes transform ``f(z) = ∫ dmu(x) / (x - z)``; ``f(x + i0)`` on the real axis."""
        z = _as_complex_points(z, "z")
        f, _ = self._stieltjes_pair(_upper(z))
        return np.where(z.imag < 0, np.conj(f), f)[()]

    def stieltjes_derivative(self, z):
        """``f'(z) = ∫ dmu(x) / (x - z)^2`` (for real ``z`` outside the support: ``∫ dmu/(z-x)^2``)."""
        z = _as_complex_points(z, "z")
        _, fp = self._stieltjes_pair(_upper(z))
        return np.where(z.imag < 0, np.conj(fp), fp)[()]

    def cauchy(self, z):
        """Cauchy transform ``G(z) = ∫ dmu(x) / (z - x) = -f(z)``."""
        return -self.stieltjes(z)

    def _quadrature_nodes(self):
        """Nodes and weights of ``∫ g dmu`` (cosine map on each support interval)."""
        xs, ws = [], []
        t = 0.5 * np.pi * (_GL_X + 1)
        for a, b in self.support():
            x = a + 0.5 * (b - a) * (1 - np.cos(t))
            xs.append(x)
            ws.append(0.25 * np.pi * (b - a) * np.sin(t) * _GL_W * self.pdf(x))
        return np.concatenate(xs), np.concatenate(ws)

    def _quadrature_stieltjes_pair(self, w):
        x, q = self._quadrature_nodes()
        w = np.asarray(w)
        d = x[None, :] - w.reshape(-1, 1)
        with np.errstate(all="ignore"):
            r = 1.0 / d
        return (r @ q).reshape(w.shape), ((r * r) @ q).reshape(w.shape)

    def cdf(self, x):
        """Distribution function, by Gauss-Legendre quadrature of ``pdf`` in the angle variable."""
        x = _as_real_points(x)
        flat = x.ravel()
        out = np.zeros(flat.shape)
        for a, b in self.support():
            out += flat >= b
            inside = (flat > a) & (flat < b)
            if not np.any(inside):
                continue
            t_x = np.arccos(np.clip(1 - 2 * (flat[inside] - a) / (b - a), -1.0, 1.0))
            t = 0.5 * t_x[:, None] * (_GL_X[None, :] + 1)
            nodes = a + 0.5 * (b - a) * (1 - np.cos(t))
            vals = self.pdf(nodes) * np.sin(t) * (0.5 * (b - a))
            out[inside] += 0.5 * t_x * (vals @ _GL_W)
        return np.clip(out, 0.0, 1.0).reshape(x.shape)[()]

    def icdf(self, p):
        """Quantile function ``inf{x : cdf(x) >= p}``, by safeguarded Newton inversion of ``cdf``."""
        p = check_array(p, "p")
        if np.any((p < 0) | (p > 1)):
            raise ValueError("p must lie in [0, 1]")
        lo, hi = self.support()[0][0], self.support()[-1][1]
        flat = p.ravel()

        def fun(x, idx):
            return self.cdf(x) - flat[idx], self.pdf(x)

        x = _solve_increasing(fun, np.full(flat.shape, lo), np.full(flat.shape, hi))
        return x.reshape(p.shape)[()]

    def quantiles(self, n: int) -> np.ndarray:
        """The ``n`` classical locations ``icdf((k - 1/2) / n)``, ``k = 1..n``."""
        n = check_int(n, "n", minimum=1)
        return np.asarray(self.icdf((np.arange(n) + 0.5) / n), dtype=float).reshape(n)

    def _expect(self, g) -> float:
        x, q = self._quadrature_nodes()
        return float(q @ g(x))

    @property
    def mean(self) -> float:
        """The mean ``∫ x dmu``."""
        return self._expect(lambda x: x)

    @property
    def var(self) -> float:
        """The variance."""
        m = self.mean
        return self._expect(lambda x: (x - m) ** 2)


class Semicircle(Law):
    """Wigner's semicircle law on ``[-2 sigma, 2 sigma]``.

    Notes
    -----
    Density ``sqrt(4 sigma^2 - x^2) / (2 pi sigma^2)``; Stieltjes transform
    ``f(z) = (-z + sqrt(z^2 - 4 sigma^2)) / (2 sigma^2)``, the root of
    ``sigma^2 f^2 + z f + 1 = 0`` with ``f(z) ~ -1/z`` at infinity.

    Examples
    --------
    >>> law = Semicircle(sigma=1.0)
    >>> law.support()
    [(-2.0, 2.0)]
    >>> round(float(law.pdf(0.0)), 6)
    0.31831
    >>> complex(law.stieltjes(1j))
    0.6180339887498949j
    """

    def __init__(self, sigma: float = 1.0):
        self.sigma = check_real(sigma, "sigma", positive=True)
        self._freeze()

    def _params(self):
        return {"sigma": self.sigma}

    def support(self):
        return [(-2 * self.sigma, 2 * self.sigma)]

    def pdf(self, x):
        x = _as_real_points(x)
        s2 = self.sigma**2
        return (np.sqrt(np.clip(4 * s2 - x * x, 0.0, None)) / (2 * np.pi * s2))[()]

    def cdf(self, x):
        x = _as_real_points(x)
        u = np.clip(x / (2 * self.sigma), -1.0, 1.0)
        return np.clip(0.5 + (u * np.sqrt(1 - u * u) + np.arcsin(u)) / np.pi, 0.0, 1.0)[()]

    def _stieltjes_pair(self, w):
        s, s2 = self.sigma, self.sigma**2
        r = np.sqrt(w - 2 * s) * np.sqrt(w + 2 * s)
        f = (r - w) / (2 * s2)
        with np.errstate(divide="ignore", invalid="ignore"):
            fp = (w / r - 1) / (2 * s2)
        return f, fp

    def _arg_potential(self, w):
        """``Im ∫ log(w - x) dmu(x)`` for ``w`` in the closed upper half-plane."""
        f, _ = self._stieltjes_pair(w)
        f = f.real + 1j * np.maximum(f.imag, 0.0)
        return np.pi - np.angle(f) + 0.5 * self.sigma**2 * (f * f).imag

    @property
    def mean(self):
        return 0.0

    @property
    def var(self):
        return self.sigma**2


class MarchenkoPastur(Law):
    """Marchenko-Pastur law of the squared singular values of ``W = R / sqrt(N)``.

    ``R`` is ``N x M`` with variance ``sigma^2`` entries and ``gamma = M / N``. The law
    is that of the ``min(N, M)`` nonzero squared singular values (no atom at 0):
    support ``[sigma^2 (1 - sqrt(gamma))^2, sigma^2 (1 + sqrt(gamma))^2]``, density
    ``sqrt((b - x)(x - a)) / (2 pi sigma^2 min(gamma, 1) x)``, mean
    ``sigma^2 max(gamma, 1)``, variance ``sigma^4 gamma``.
    :meth:`singular_values` gives the law of the singular values themselves.

    Examples
    --------
    >>> law = MarchenkoPastur(gamma=0.25, sigma=1.0)
    >>> law.support()
    [(0.25, 2.25)]
    >>> law.singular_values().support()
    [(0.5, 1.5)]
    >>> round(float(law.cdf(law.icdf(0.3))), 12)
    0.3
    """

    def __init__(self, gamma: float, sigma: float = 1.0):
        self.gamma = check_real(gamma, "gamma", positive=True)
        self.sigma = check_real(sigma, "sigma", positive=True)
        self._freeze()

    def _params(self):
        return {"gamma": self.gamma, "sigma": self.sigma}

    @property
    def edges(self) -> tuple[float, float]:
        s2, g = self.sigma**2, self.gamma
        return float(s2 * (1 - np.sqrt(g)) ** 2), float(s2 * (1 + np.sqrt(g)) ** 2)

    def support(self):
        return [self.edges]

    def pdf(self, x):
        x = _as_real_points(x)
        a, b = self.edges
        c = min(self.gamma, 1.0)
        inside = (x > a) & (x < b)
        xs = np.where(inside, x, 0.5 * (a + b))
        val = np.sqrt((b - xs) * (xs - a)) / (2 * np.pi * self.sigma**2 * c * xs)
        return np.where(inside, val, 0.0)[()]

    def cdf(self, x):
        x = _as_real_points(x)
        a, b = self.edges
        c = min(self.gamma, 1.0)
        m, h = 0.5 * (a + b), 0.5 * (b - a)
        t = np.arccos(np.clip((m - x) / h, -1.0, 1.0))
        q = np.sqrt(np.clip((b - x) * (x - a), 0.0, None))
        angle = np.arctan2(np.sqrt(b) * np.sin(t / 2), np.sqrt(a) * np.cos(t / 2))
        val = (q + m * t - 2 * np.sqrt(a * b) * angle) / (2 * np.pi * self.sigma**2 * c)
        return np.clip(val, 0.0, 1.0)[()]

    def _stieltjes_pair(self, w):
        a, b = self.edges
        k = np.sqrt(a * b)
        r = np.sqrt(w - a) * np.sqrt(w - b)
        d = k - w - r
        with np.errstate(divide="ignore", invalid="ignore"):
            f = 2.0 / d
            fp = 2.0 * (1 + (2 * w - a - b) / (2 * r)) / (d * d)
        return f, fp

    @property
    def mean(self):
        return self.sigma**2 * max(self.gamma, 1.0)

    @property
    def var(self):
        return self.sigma**4 * self.gamma

    def singular_values(self) -> SquareRootLaw:
        """The law of the singular values ``s = sqrt(lambda)``."""
        return SquareRootLaw(self)


class SquareRootLaw(Law):
    """The law of ``sqrt(X)`` for ``X`` distributed by a law on ``[0, inf)``.

    ``pdf(s) = 2 s p_X(s^2)``, ``cdf(s) = F_X(s^2)``, ``icdf(p) = sqrt(icdf_X(p))``;
    the Stieltjes transform is computed by quadrature. ``squared`` is the law of ``X``.

    Examples
    --------
    >>> law = SquareRootLaw(Uniform(low=0.0, high=4.0))
    >>> law.support()
    [(0.0, 2.0)]
    >>> float(law.cdf(1.0))
    0.25
    """

    def __init__(self, squared: Law):
        if not is_law(squared):
            raise TypeError(f"squared must be a Law, got {type(squared).__name__}")
        if squared.support()[0][0] < 0:
            raise ValueError("squared must be a law on [0, inf) (its support starts below 0)")
        self.squared = squared
        self._freeze()

    def _params(self):
        return {"squared": self.squared}

    def support(self):
        return [(float(np.sqrt(a)), float(np.sqrt(b))) for a, b in self.squared.support()]

    def pdf(self, x):
        x = _as_real_points(x)
        return np.where(x > 0, 2 * x * self.squared.pdf(x * x), 0.0)[()]

    def cdf(self, x):
        x = _as_real_points(x)
        return np.where(x > 0, self.squared.cdf(np.maximum(x, 0.0) ** 2), 0.0)[()]

    def icdf(self, p):
        return np.sqrt(self.squared.icdf(p))


class Uniform(Law):
    """Uniform law on ``[low, high]``.

    Notes
    -----
    ``G(z) = log((z - low) / (z - high)) / (high - low)``.

    Examples
    --------
    >>> law = Uniform(low=-1.0, high=1.0)
    >>> float(law.cauchy(3.0).real)
    0.34657359027997264
    >>> float(law.icdf(0.75))
    0.5
    """

    def __init__(self, low: float, high: float):
        self.low = check_real(low, "low")
        self.high = check_real(high, "high")
        if not self.high > self.low:
            raise ValueError(f"high must be > low, got low={self.low}, high={self.high}")
        self._freeze()

    def _params(self):
        return {"low": self.low, "high": self.high}

    def support(self):
        return [(self.low, self.high)]

    def pdf(self, x):
        x = _as_real_points(x)
        return np.where((x >= self.low) & (x <= self.high), 1.0 / (self.high - self.low), 0.0)[()]

    def cdf(self, x):
        x = _as_real_points(x)
        return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)[()]

    def icdf(self, p):
        p = check_array(p, "p")
        if np.any((p < 0) | (p > 1)):
            raise ValueError("p must lie in [0, 1]")
        return (self.low + p * (self.high - self.low))[()]

    def _stieltjes_pair(self, w):
        a, b = self.low, self.high
        with np.errstate(divide="ignore", invalid="ignore"):
            f = (np.log(w - b) - np.log(w - a)) / (b - a)
            fp = 1.0 / ((w - a) * (w - b))
        return f, fp

    def _arg_potential(self, w):
        a, b = self.low, self.high
        with np.errstate(divide="ignore", invalid="ignore"):
            val = ((w - a) * np.log(w - a) - (w - b) * np.log(w - b)) / (b - a)
        return np.where(np.isfinite(val), val, 0.0).imag

    @property
    def mean(self):
        return 0.5 * (self.low + self.high)

    @property
    def var(self):
        return (self.high - self.low) ** 2 / 12


class DiscreteLaw(Law):
    """A law with finitely many atoms: an empirical spectrum, a two-point law, ``delta_0``.

    Parameters
    ----------
    atoms : array_like
        Atom locations (finite); equal atoms are merged and the atoms sorted.
    weights : array_like, optional
        Nonnegative weights summing to 1 (default: equal weights).

    Examples
    --------
    >>> law = DiscreteLaw([1.0, -1.0, 1.0])
    >>> law.atoms, law.weights.round(4)
    (array([-1.,  1.]), array([0.3333, 0.6667]))
    >>> float(law.cdf(0.0)), float(law.icdf(0.5))
    (0.3333333333333333, 1.0)
    """

    def __init__(self, atoms, weights=None):
        atoms = check_array(atoms, "atoms", ndim=1, min_size=1)
        if weights is None:
            weights = np.full(atoms.size, 1.0 / atoms.size)
        else:
            weights = check_weights(weights, "weights", atoms.size)
        unique, inverse = np.unique(atoms, return_inverse=True)
        merged = np.bincount(inverse, weights=weights, minlength=unique.size)
        keep = merged > 0
        self.atoms = unique[keep]
        self.weights = merged[keep] / merged[keep].sum()
        self.atoms.flags.writeable = False
        self.weights.flags.writeable = False
        self._cumulative = np.cumsum(self.weights)
        self._cumulative[-1] = 1.0
        self._freeze()

    def _params(self):
        return {"atoms": f"<{self.atoms.size} atoms in [{self.atoms[0]:.4g}, {self.atoms[-1]:.4g}]>"}

    def support(self):
        return [(float(a), float(a)) for a in self.atoms]

    def pdf(self, x):
        raise TypeError("DiscreteLaw has no density; use its atoms and weights")

    def cdf(self, x):
        x = _as_real_points(x)
        k = np.searchsorted(self.atoms, x, side="right")
        return np.concatenate([[0.0], self._cumulative])[k][()]

    def icdf(self, p):
        p = check_array(p, "p")
        if np.any((p < 0) | (p > 1)):
            raise ValueError("p must lie in [0, 1]")
        k = np.searchsorted(self._cumulative, p, side="left")
        return self.atoms[np.minimum(k, self.atoms.size - 1)][()]

    def _chunks(self, size: int):
        step = max(1, _CHUNK_ELEMENTS // self.atoms.size)
        for start in range(0, size, step):
            yield slice(start, min(start + step, size))

    def _stieltjes_pair(self, w):
        w = np.asarray(w, dtype=complex)
        flat = w.ravel()
        f = np.empty(flat.shape, dtype=complex)
        fp = np.empty(flat.shape, dtype=complex)
        a, q = self.atoms, self.weights
        for sl in self._chunks(flat.size):
            r = a[None, :] - flat[sl, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                np.reciprocal(r, out=r)
            f[sl] = np.einsum("ij,j->i", r, q)
            np.square(r, out=r)
            fp[sl] = np.einsum("ij,j->i", r, q)
        if np.any(~np.isfinite(f)):
            raise ValueError("the Stieltjes transform of a DiscreteLaw is infinite at its atoms")
        return f.reshape(w.shape), fp.reshape(w.shape)

    def _inverse_power_sums(self, u):
        """``(m2, m3, m4)`` with ``m_k(u) = sum_j w_j / (u - a_j)^k`` for real ``u``."""
        u = np.asarray(u, dtype=float)
        out = np.empty((3, u.size))
        a, q = self.atoms, self.weights
        for sl in self._chunks(u.size):
            r = 1.0 / (u[sl, None] - a[None, :])
            r2 = r * r
            out[0, sl] = np.einsum("ij,j->i", r2, q)
            r2 *= r
            out[1, sl] = np.einsum("ij,j->i", r2, q)
            r2 *= r
            out[2, sl] = np.einsum("ij,j->i", r2, q)
        return out

    def _arg_potential(self, w):
        w = np.asarray(w, dtype=complex)
        flat = w.ravel()
        out = np.empty(flat.shape)
        for sl in self._chunks(flat.size):
            d = flat[sl, None] - self.atoms[None, :]
            out[sl] = np.einsum("ij,j->i", np.arctan2(d.imag, d.real), self.weights)
        return out.reshape(w.shape)

    @property
    def mean(self):
        return float(self.weights @ self.atoms)

    @property
    def var(self):
        return float(self.weights @ (self.atoms - self.mean) ** 2)


class FreeConvolutionSemicircle(Law):
    """The free convolution ``mu = mu_sc(sigma) ⊞ nu``: limit ESD of ``W + S`` (THEORY T2).

    Parameters
    ----------
    nu : Law
        The law of the spectrum of ``S`` (e.g. a :class:`DiscreteLaw` of its
        eigenvalues, up to 10^5 atoms, or :class:`Uniform`).
    sigma : float
        Noise level (> 0). A nested ``FreeConvolutionSemicircle`` is flattened
        (``sc(s1) ⊞ sc(s2) = sc(sqrt(s1^2 + s2^2))``).

    Notes
    -----
    ``f(z) = f_nu(omega(z))`` where ``omega = z + sigma^2 f(z)`` solves
    ``H(omega) = z``, ``H(w) = w + sigma^2 G_nu(w)``, with ``Im omega > 0``. The
    density is ``Im omega(x + i0) / (pi sigma^2)``, exactly 0 outside the support.

    Examples
    --------
    >>> mu = FreeConvolutionSemicircle(DiscreteLaw([0.0]), sigma=1.0)
    >>> [tuple(round(e, 10) for e in ab) for ab in mu.support()]
    [(-2.0, 2.0)]
    >>> round(float(mu.pdf(1.0)), 10) == round(float(Semicircle(1.0).pdf(1.0)), 10)
    True
    >>> mu2 = FreeConvolutionSemicircle(DiscreteLaw([-3.0, 3.0]), sigma=1.0)
    >>> len(mu2.support())
    2
    """

    def __init__(self, nu: Law, sigma: float):
        if not is_law(nu):
            raise TypeError(f"nu must be a Law (e.g. DiscreteLaw, Uniform), got {type(nu).__name__}")
        sigma = check_real(sigma, "sigma", positive=True)
        if callable(getattr(nu, "subordination", None)):  # a free convolution: flatten
            sigma, nu = float(np.hypot(sigma, nu.sigma)), nu.nu
        self.nu = nu
        self.sigma = sigma
        self._u_intervals = [(float(ul), float(ur)) for ul, ur in self._find_u_intervals()]
        ends = self._H(np.array([u for uv in self._u_intervals for u in uv]) + 0j).real
        self._intervals = [(float(ends[2 * i]), float(ends[2 * i + 1])) for i in range(ends.size // 2)]
        self._freeze()

    def _params(self):
        return {"nu": self.nu, "sigma": self.sigma}

    # -- H and its derivatives ---------------------------------------------------
    def _H(self, w):
        f, _ = self.nu._stieltjes_pair(w)
        return w - self.sigma**2 * f

    def _H_pair(self, w):
        f, fp = self.nu._stieltjes_pair(w)
        return w - self.sigma**2 * f, 1 - self.sigma**2 * fp

    def _hp_real(self, u):
        """``H'(u)`` for real ``u`` outside the support of nu, with H'' and H''' when cheap."""
        s2 = self.sigma**2
        if _is_discrete(self.nu):
            m2, m3, m4 = self.nu._inverse_power_sums(u)
            return 1 - s2 * m2, 2 * s2 * m3, -6 * s2 * m4
        _, fp = self.nu._stieltjes_pair(np.asarray(u, dtype=float) + 0j)
        return 1 - s2 * fp.real, None, None

    # -- support -----------------------------------------------------------------
    def _find_u_intervals(self) -> list[tuple[float, float]]:
        """The intervals of ``u`` where ``H'(u) < 0`` or ``u`` is in supp(nu); their images are supp(mu)."""
        s = self.sigma
        nu_support = self.nu.support()
        lo0, hi_end = nu_support[0][0], nu_support[-1][1]
        left = _solve_increasing(lambda u, _: _neg(self._hp_real(u)), [lo0 - s], [lo0])[0]
        right = _solve_increasing(lambda u, _: self._hp_real(u)[:2], [hi_end], [hi_end + s])[0]
        if len(nu_support) > 1 and not _is_discrete(self.nu):
            raise NotImplementedError(
                "nu with a continuous support of several intervals is not supported; "
                "pass a DiscreteLaw of its quantiles (nu.quantiles(n)) instead"
            )
        gaps_lo = np.array([b for (_, b) in nu_support[:-1]], dtype=float)
        gaps_hi = np.array([a for (a, _) in nu_support[1:]], dtype=float)
        if _is_discrete(self.nu) and gaps_lo.size:
            w = np.cbrt(self.nu.weights)
            with np.errstate(divide="ignore", over="ignore"):  # (nearly) coincident atoms: no gap
                bound = s**2 * (w[:-1] + w[1:]) ** 3 / (gaps_hi - gaps_lo) ** 2
            cand = bound < 1
            gaps_lo, gaps_hi = gaps_lo[cand], gaps_hi[cand]
            w_lo, w_hi = w[:-1][cand], w[1:][cand]
        splits = []
        if gaps_lo.size:
            # H' is concave on each gap: its maximum is the root of the decreasing H''
            x0 = gaps_lo + (gaps_hi - gaps_lo) * w_lo / (w_lo + w_hi)
            peak = _solve_increasing(lambda u, _: _neg(self._hp_real(u)[1:]), gaps_lo, gaps_hi, x0)
            hp_peak = self._hp_real(peak)[0]
            opened = hp_peak > 0
            if np.any(opened):
                glo, ghi, pk = gaps_lo[opened], gaps_hi[opened], peak[opened]
                u1 = _solve_increasing(lambda u, _: self._hp_real(u)[:2], glo, pk)
                u2 = _solve_increasing(lambda u, _: _neg(self._hp_real(u)), pk, ghi)
                splits = list(zip(u1.tolist(), u2.tolist(), strict=True))
        bounds = [left]
        for u1, u2 in splits:
            bounds += [u1, u2]
        bounds.append(right)
        pieces = [(bounds[2 * i], bounds[2 * i + 1]) for i in range(len(bounds) // 2)]
        return pieces

    def support(self):
        return list(self._intervals)

    def edges(self) -> np.ndarray:
        """All support edges, sorted: ``H(u)`` at the real critical points ``u`` of ``H``."""
        return np.array([e for ab in self._intervals for e in ab])

    # -- subordination -----------------------------------------------------------
    def _biane_curves(self, ids, sizes):
        """Points ``(x_j, omega_j)`` on the boundary of the subordination domain, ``sizes[m]``
        of them over the u-interval ``ids[m]``; a list of ``(x, omega)`` pairs.

        For each ``u``, ``v > 0`` solves ``sigma^2 ∫ dnu(a) / ((u - a)^2 + v^2) = 1``
        (a concave increasing equation in ``v^2``); then ``omega = u + i v`` and
        ``x = Re H(omega)``, increasing in ``u``. Solved for all ``u`` at once by Newton
        steps safeguarded with a bracket ``0 <= v^2 <= sigma^2``.
        """
        s2 = self.sigma**2
        grids = []
        for i, k in zip(ids, sizes, strict=True):
            ul, ur = self._u_intervals[i]
            grids.append(ul + 0.5 * (ur - ul) * (1 - np.cos(np.linspace(0, np.pi, k))))
        us = np.concatenate(grids)
        ends = np.cumsum([0, *sizes])
        interior = np.ones(us.size, dtype=bool)
        interior[ends[:-1]] = interior[ends[1:] - 1] = False
        u = us[interior]
        lo, hi = np.zeros(u.size), np.full(u.size, s2)
        sq = np.full(u.size, 1e-2 * s2)
        active = np.ones(u.size, dtype=bool)
        for _ in range(200):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            sa = sq[idx]
            v = np.sqrt(sa)
            f, fp = self.nu._stieltjes_pair(u[idx] + 1j * v)
            g = f.imag / v
            phi = 1.0 / g - s2
            lo[idx] = np.where(phi < 0, sa, lo[idx])
            hi[idx] = np.where(phi > 0, sa, hi[idx])
            gp = (fp.real - g) / (2 * sa)
            with np.errstate(all="ignore"):
                new = sa + phi * g * g / gp
            mid = np.where(lo[idx] > 0, np.sqrt(lo[idx] * hi[idx]), 1e-3 * hi[idx])
            bad = ~np.isfinite(new) | (new <= lo[idx]) | (new >= hi[idx]) | ~(gp < 0)
            new = np.where(bad, mid, new)
            done = (np.abs(new - sa) <= 1e-9 * sa) | (phi == 0) | (hi[idx] <= 1e-300)
            sq[idx] = new
            active[idx[done]] = False
        vs = np.zeros(us.size)
        vs[interior] = np.sqrt(sq)
        omegas = us + 1j * vs
        xs = self._H(omegas).real
        return [
            (np.maximum.accumulate(xs[ends[m] : ends[m + 1]]), omegas[ends[m] : ends[m + 1]])
            for m in range(len(sizes))
        ]

    def _newton_omega(self, x, w, z_imag=0.0, *, maxiter: int = 60, homotopy: bool = True):
        """Newton for ``H(omega) = x + i z_imag``, keeping ``Im omega > z_imag`` (the right branch)."""
        x = np.asarray(x, dtype=float)
        target = x + 1j * z_imag
        w = np.array(w, dtype=complex)
        floor = np.broadcast_to(np.asarray(z_imag, dtype=float), x.shape)
        active = np.ones(x.shape, dtype=bool)
        for _ in range(maxiter):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            wa = w[idx]
            h, hp = self._H_pair(wa)
            with np.errstate(all="ignore"):
                step = -(h - target[idx]) / hp
            step = np.where(np.isfinite(step), step, 0.0)
            room = wa.imag - floor[idx]
            shrink = (room + step.imag) <= 0
            with np.errstate(all="ignore"):  # both branches are evaluated; the masked one may overflow
                t = np.where(shrink, 0.5 * room / np.abs(step.imag), 1.0)
            w[idx] = wa + t * step
            # quadratic convergence: a step below 1e-6 Im(omega) leaves an error ~1e-12 Im(omega)
            size = np.abs(step)
            done = (size <= 1e-6 * (w[idx].imag - floor[idx])) | (size <= 1e-15 * (np.abs(wa) + self.sigma))
            done &= ~shrink
            active[idx[done]] = False
        bad = active | ~(w.imag >= floor)  # not converged (e.g. drawn to a real root)
        if np.any(bad) and homotopy:
            w[bad] = self._omega_by_continuation(x[bad], floor[bad])
        return w

    def _omega_by_continuation(self, x, z_imag):
        """Fallback: follow ``omega`` from ``Im z = 4 sigma`` (where Newton from ``z`` converges)
        down to the target in 60 geometric stages."""
        w = x + 1j * (z_imag + 4 * self.sigma)
        for eta in 4 * self.sigma * np.geomspace(1.0, 1e-13, 60):
            w = self._newton_omega(x, w + 0.5j * eta, z_imag + eta, homotopy=False)
        return self._newton_omega(x, w, z_imag, homotopy=False)

    def _omega_real(self, x, *, inside_only: bool = False):
        """``omega(x + i0)`` for real ``x`` (a flat array); 0 outside the support if ``inside_only``."""
        x = np.asarray(x, dtype=float)
        w = np.zeros(x.shape, dtype=complex)
        bounds = self.edges()
        # outside the support: the increasing real branch of H between critical points
        ubounds = np.array([u for uv in self._u_intervals for u in uv])
        slot = np.searchsorted(bounds, x, side="right")
        outside = slot % 2 == 0
        if np.any(outside) and not inside_only:
            k = slot[outside] // 2
            xo = x[outside]
            lo = np.where(k == 0, np.minimum(xo, ubounds[0]), ubounds[np.maximum(2 * k - 1, 0)])
            hi = np.where(
                k == len(self._intervals),
                np.maximum(xo, ubounds[-1]),
                ubounds[np.minimum(2 * k, ubounds.size - 1)],
            )

            def fun(u, idx):
                h, hp = self._H_pair(u + 0j)
                return h.real - xo[idx], hp.real

            w[outside] = _solve_increasing(fun, lo, hi) + 0j
        on_edge = np.isin(x, bounds)
        inside = np.flatnonzero((slot % 2 == 1) & ~on_edge)
        if inside.size:
            which = (slot[inside] - 1) // 2
            ids, counts = np.unique(which, return_counts=True)
            curves = self._biane_curves(ids, np.clip(counts // 2, 8, 200))
            guess = np.empty(inside.size, dtype=complex)
            for i, (xs, om) in zip(ids, curves, strict=True):
                sel = which == i
                xt = x[inside[sel]]
                guess[sel] = np.interp(xt, xs, om.real) + 1j * np.maximum(np.interp(xt, xs, om.imag), 1e-300)
            w[inside] = self._newton_omega(x[inside], guess)
        if np.any(on_edge) and not inside_only:
            w[on_edge] = np.array([u for uv in self._u_intervals for u in uv])[
                np.searchsorted(bounds, x[on_edge])
            ]
        return w

    def pdf(self, x):
        x = _as_real_points(x)
        w = self._omega_real(x.ravel(), inside_only=True)
        return (w.imag / (np.pi * self.sigma**2)).reshape(x.shape)[()]

    def _cdf_from_omega(self, w):
        g = -self.nu._stieltjes_pair(w)[0]
        val = 1 - (self.nu._arg_potential(w) + 0.5 * self.sigma**2 * (g * g).imag) / np.pi
        return np.clip(val, 0.0, 1.0)

    def cdf(self, x):
        if not hasattr(self.nu, "_arg_potential"):
            return super().cdf(x)
        x = _as_real_points(x)
        flat = x.ravel()
        w = _upper(self._omega_real(flat))
        return self._cdf_from_omega(w).reshape(x.shape)[()]

    def _stieltjes_pair(self, z):
        z = np.asarray(z, dtype=complex)
        flat = z.ravel()
        w = self._omega_real(flat.real)
        off = flat.imag > 0
        if np.any(off):
            guess = w[off] + 1j * flat.imag[off]
            w[off] = self._newton_omega(flat.real[off], guess, flat.imag[off])
        w = _upper(w)
        f = (w - flat) / self.sigma**2
        _, fnu_p = self.nu._stieltjes_pair(w)
        with np.errstate(divide="ignore", invalid="ignore"):
            fp = fnu_p / (1 - self.sigma**2 * fnu_p)
        return f.reshape(z.shape), fp.reshape(z.shape)

    def subordination(self, z):
        """The subordination function ``omega(z) = z + sigma^2 f(z)`` (``f_mu = f_nu ∘ omega``)."""
        z = _as_complex_points(z, "z")
        f = self.stieltjes(z)
        return (z + self.sigma**2 * f)[()]

    def icdf(self, p):
        p = check_array(p, "p")
        if np.any((p < 0) | (p > 1)):
            raise ValueError("p must lie in [0, 1]")
        if not hasattr(self.nu, "_arg_potential"):
            return super().icdf(p)
        flat = p.ravel()
        out = np.empty(flat.shape)
        edges = self.edges()
        cum = self._cdf_from_omega(_upper(self._omega_real(edges)))
        out[flat <= 0] = edges[0]
        out[flat >= 1] = edges[-1]
        # the first component whose right end carries cdf >= p (inf{x : cdf(x) >= p})
        inner = np.flatnonzero((flat > 0) & (flat < 1))
        if inner.size:
            which = np.minimum(np.searchsorted(cum[1::2], flat[inner], side="left"), len(self._intervals) - 1)
            out[inner] = self._invert(flat[inner], which)
        return out.reshape(p.shape)[()]

    def _invert(self, p, which):
        """Quantiles ``p`` lying in the support components ``which``.

        Solves for ``omega`` on the boundary curve directly: ``Im H(omega) = 0`` and
        ``Im Lambda(omega) = pi (1 - p)`` with ``Lambda = ∫ log(omega - a) dnu(a) +
        sigma^2 G_nu(omega)^2 / 2`` (so that ``cdf = 1 - Im Lambda / pi``), by a 2 x 2
        Newton iteration (``Lambda' = G_nu H'``); then ``x = Re H(omega)``.
        """
        s2 = self.sigma**2
        ids, counts = np.unique(which, return_counts=True)
        curves = self._biane_curves(ids, np.clip(counts, 16, 400))
        w = np.empty(p.size, dtype=complex)
        x, x_lo, x_hi, a, b = (np.empty(p.size) for _ in range(5))
        for i, (xs, om) in zip(ids, curves, strict=True):
            sel = which == i
            fs = np.maximum.accumulate(self._cdf_from_omega(_upper(om)))
            # near both edges cdf - cdf(edge) ~ (u - u_edge)^3: interpolate in a variable linear in u
            t_grid, t = _edge_coordinate(fs), _edge_coordinate(p[sel], fs[0], fs[-1])
            w[sel] = np.interp(t, t_grid, om.real) + 1j * np.maximum(np.interp(t, t_grid, om.imag), 1e-300)
            x[sel] = np.interp(t, t_grid, xs)
            slot = np.clip(np.searchsorted(fs, p[sel]), 1, fs.size - 1)
            x_lo[sel], x_hi[sel] = xs[slot - 1], xs[slot]
            a[sel], b[sel] = self._intervals[i]
        target = np.pi * (1 - p)
        active = np.ones(p.shape, dtype=bool)
        for _ in range(60):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            wa = w[idx]
            f, fp = self.nu._stieltjes_pair(wa)
            h, hp = wa - s2 * f, 1 - s2 * fp
            lam_im = self.nu._arg_potential(wa) + 0.5 * s2 * (f * f).imag
            dlam = -f * hp
            r1, r2 = h.imag, lam_im - target[idx]
            det = hp.imag * dlam.real - hp.real * dlam.imag
            with np.errstate(all="ignore"):
                du = -(dlam.real * r1 - hp.real * r2) / det
                dv = -(-dlam.imag * r1 + hp.imag * r2) / det
                step = np.where(np.isfinite(du) & np.isfinite(dv), du + 1j * dv, 0.0)
            shrink = (wa.imag + step.imag) <= 0
            with np.errstate(all="ignore"):  # both branches are evaluated; the masked one may overflow
                t = np.where(shrink, 0.5 * wa.imag / np.abs(step.imag), 1.0)
            w[idx] = wa + t * step
            x[idx] = (h + hp * t * step).real
            size = np.abs(step)
            done = (size <= 1e-7 * w[idx].imag) | (size <= 1e-15 * (np.abs(wa) + self.sigma))
            active[idx[done & ~shrink]] = False
        failed = active | ~((x >= x_lo) & (x <= x_hi))
        if np.any(failed):  # safeguard: bracketed Newton on the cdf itself
            target_p = p[failed]

            def fun(xx, j):
                om_x = self._omega_real(xx, inside_only=True)
                return self._cdf_from_omega(_upper(om_x)) - target_p[j], om_x.imag / (np.pi * s2)

            x[failed] = _solve_increasing(fun, x_lo[failed], x_hi[failed], x[failed])
        return np.clip(x, a, b)

    @property
    def mean(self):
        return self.nu.mean

    @property
    def var(self):
        return self.nu.var + self.sigma**2


def _edge_coordinate(F, f_a=None, f_b=None):
    """``m^(1/3) / (m^(1/3) + (1 - m)^(1/3))`` with ``m = (F - f_a) / (f_b - f_a)``."""
    f_a = F[0] if f_a is None else f_a
    f_b = F[-1] if f_b is None else f_b
    m = np.clip((F - f_a) / (f_b - f_a), 0.0, 1.0)
    left, right = np.cbrt(m), np.cbrt(1 - m)
    return left / (left + right)


def _neg(pair):
    val, der = pair[0], pair[1]
    return -val, (None if der is None else -der)
