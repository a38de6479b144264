"""Limiting spectral laws.

Every law is a small frozen object with validated parameters. A subclass gives
the formulas it knows (``support``, ``_pdf``, ``stieltjes_pair``, ...); the base class
:class:`Law` validates the arguments of the public methods, once, and derives what is
missing: ``cdf`` by Gauss-Legendre quadrature of ``pdf`` over each support interval,
``icdf`` and ``quantiles`` by safeguarded Newton inversion of ``cdf``, moments by
quadrature. The free convolution with a
semicircle, :class:`~rmtlib.free_convolution.FreeConvolutionSemicircle`, is a law
of its own module built on this protocol.

Conventions (the book's page *Conventions*, ``book/conventions.md``): the Stieltjes
transform is ``f(z) = ∫ dmu(x) / (x - z)``, the Cauchy transform ``G(z) = -f(z)``.
On the real axis inside the support, ``stieltjes(x)`` is the boundary value
``f(x + i0)``; in the lower half-plane ``f(conj z) = conj f(z)``.
"""

from __future__ import annotations

import numpy as np

from ._numerics import solve_increasing, to_upper_half_plane
from ._validation import check_array, check_complex_array, check_int, check_real, check_scale, check_weights

__all__ = [
    "Law",
    "Semicircle",
    "MarchenkoPastur",
    "SquareRootLaw",
    "Uniform",
    "DiscreteLaw",
    "is_law",
]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(64)
_CHUNK_ELEMENTS = 1 << 15  # rows x atoms per block when summing over atoms (fits in cache)


def is_law(obj) -> bool:
    """Whether ``obj`` is a law object of this module (an instance of :class:`Law`)."""
    return isinstance(obj, Law)


class Law:
    """A probability law on the real line (base class).

    Subclasses set their parameters in ``__init__`` and call ``self._freeze()``;
    they give ``support`` and ``_pdf``, and may give closed forms ``stieltjes_pair``
    (the Stieltjes transform and its derivative in the closed upper half-plane;
    default: quadrature of ``pdf``), ``_cdf``, ``_icdf``, ``mean`` and ``var``. The
    public ``pdf``, ``cdf`` and ``icdf`` are defined here only: they validate their
    argument once and call the private method, which takes a validated array of any
    shape and returns one of the same shape. A law that knows ``Im ∫ log(w - x) dmu(x)`` in closed form gives
    ``arg_potential`` and sets ``has_arg_potential = True``; the free convolution
    then reads its cdf and quantiles off a closed-form antiderivative.

    Examples
    --------
    >>> law = Semicircle(sigma=1.0)
    >>> float(law.cdf(0.0)), float(law.icdf(0.5))
    (0.5, 0.0)
    """

    _frozen = False
    #: Whether :meth:`arg_potential` has a closed form for this law.
    has_arg_potential = False

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

    def _pdf(self, x: np.ndarray) -> np.ndarray:
        """The density at the validated points ``x`` (any shape)."""
        raise NotImplementedError

    def stieltjes_pair(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(f(w), f'(w))`` for a complex array ``w`` in the closed upper half-plane.

        The unchecked evaluation that the other laws and the predictions build on
        (users call :meth:`stieltjes`, which validates and reflects ``z``). The
        default is quadrature of ``pdf`` over the support.
        """
        x, q = self._quadrature_nodes()
        w = np.asarray(w)
        d = x[None, :] - w.reshape(-1, 1)
        with np.errstate(all="ignore"):
            r = 1.0 / d
        return (r @ q).reshape(w.shape), ((r * r) @ q).reshape(w.shape)

    def arg_potential(self, w: np.ndarray) -> np.ndarray:
        """``Im ∫ log(w - x) dmu(x)`` for ``w`` in the closed upper half-plane (laws with
        ``has_arg_potential`` only)."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form arg_potential")

    # -- public: validate once, then what the subclass defines (or the derived method) ---
    def pdf(self, x):
        """The density at ``x`` (0 outside the support)."""
        x = check_array(x, "x")
        return np.asarray(self._pdf(x))[()]

    def cdf(self, x):
        """The distribution function at ``x``."""
        x = check_array(x, "x")
        return np.asarray(self._cdf(x))[()]

    def icdf(self, p):
        """The quantile function ``inf{x : cdf(x) >= p}`` at the levels ``p`` in ``[0, 1]``."""
        p = check_array(p, "p")
        if np.any((p < 0) | (p > 1)):
            raise ValueError("p must lie in [0, 1]")
        return np.asarray(self._icdf(p))[()]

    # -- derived -------------------------------------------------------------------
    def stieltjes(self, z):
        """Stieltjes transform ``f(z) = ∫ dmu(x) / (x - z)``; ``f(x + i0)`` on the real axis."""
        z = check_complex_array(z, "z")
        f, _ = self.stieltjes_pair(to_upper_half_plane(z))
        return np.where(z.imag < 0, np.conj(f), f)[()]

    def stieltjes_derivative(self, z):
        """``f'(z) = ∫ dmu(x) / (x - z)^2`` (for real ``z`` outside the support: ``∫ dmu/(z-x)^2``)."""
        z = check_complex_array(z, "z")
        _, fp = self.stieltjes_pair(to_upper_half_plane(z))
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
            ws.append(0.25 * np.pi * (b - a) * np.sin(t) * _GL_W * self._pdf(x))
        return np.concatenate(xs), np.concatenate(ws)

    def _cdf(self, x: np.ndarray) -> np.ndarray:
        """Distribution function, by Gauss-Legendre quadrature of ``pdf`` in the angle variable."""
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
            vals = self._pdf(nodes) * np.sin(t) * (0.5 * (b - a))
            out[inside] += 0.5 * t_x * (vals @ _GL_W)
        return np.clip(out, 0.0, 1.0).reshape(x.shape)

    def _icdf(self, p: np.ndarray) -> np.ndarray:
        """Quantile function, by safeguarded Newton inversion of ``cdf``."""
        lo, hi = self.support()[0][0], self.support()[-1][1]
        flat = p.ravel()

        def fun(x, idx):
            return self._cdf(x) - flat[idx], self._pdf(x)

        x = solve_increasing(fun, np.full(flat.shape, lo), np.full(flat.shape, hi))
        return x.reshape(p.shape)

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

    has_arg_potential = True

    def __init__(self, sigma: float = 1.0):
        self.sigma = check_scale(sigma, "sigma")
        self._freeze()

    def _params(self):
        return {"sigma": self.sigma}

    def support(self):
        return [(-2 * self.sigma, 2 * self.sigma)]

    def _pdf(self, x):
        s2 = self.sigma**2
        return np.sqrt(np.clip(4 * s2 - x * x, 0.0, None)) / (2 * np.pi * s2)

    def _cdf(self, x):
        u = np.clip(x / (2 * self.sigma), -1.0, 1.0)
        return np.clip(0.5 + (u * np.sqrt(1 - u * u) + np.arcsin(u)) / np.pi, 0.0, 1.0)

    def stieltjes_pair(self, w):
        s, s2 = self.sigma, self.sigma**2
        r = np.sqrt(w - 2 * s) * np.sqrt(w + 2 * s)
        f = (r - w) / (2 * s2)
        with np.errstate(divide="ignore", invalid="ignore"):
            fp = (w / r - 1) / (2 * s2)
        return f, fp

    def arg_potential(self, w):
        f, _ = self.stieltjes_pair(w)
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
        self.sigma = check_scale(sigma, "sigma")
        self._freeze()

    def _params(self):
        return {"gamma": self.gamma, "sigma": self.sigma}

    @property
    def edges(self) -> tuple[float, float]:
        s2, g = self.sigma**2, self.gamma
        return float(s2 * (1 - np.sqrt(g)) ** 2), float(s2 * (1 + np.sqrt(g)) ** 2)

    def support(self):
        return [self.edges]

    def _pdf(self, x):
        a, b = self.edges
        c = min(self.gamma, 1.0)
        inside = (x > a) & (x < b)
        xs = np.where(inside, x, 0.5 * (a + b))
        val = np.sqrt((b - xs) * (xs - a)) / (2 * np.pi * self.sigma**2 * c * xs)
        return np.where(inside, val, 0.0)

    def _cdf(self, x):
        a, b = self.edges
        c = min(self.gamma, 1.0)
        m, h = 0.5 * (a + b), 0.5 * (b - a)
        t = np.arccos(np.clip((m - x) / h, -1.0, 1.0))
        q = np.sqrt(np.clip((b - x) * (x - a), 0.0, None))
        angle = np.arctan2(np.sqrt(b) * np.sin(t / 2), np.sqrt(a) * np.cos(t / 2))
        val = (q + m * t - 2 * np.sqrt(a * b) * angle) / (2 * np.pi * self.sigma**2 * c)
        return np.clip(val, 0.0, 1.0)

    def stieltjes_pair(self, w):
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

    def _pdf(self, x):
        return np.where(x > 0, 2 * x * self.squared._pdf(x * x), 0.0)

    def _cdf(self, x):
        return np.where(x > 0, self.squared._cdf(np.maximum(x, 0.0) ** 2), 0.0)

    def _icdf(self, p):
        return np.sqrt(self.squared._icdf(p))


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

    has_arg_potential = True

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

    def _pdf(self, x):
        return np.where((x >= self.low) & (x <= self.high), 1.0 / (self.high - self.low), 0.0)

    def _cdf(self, x):
        return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)

    def _icdf(self, p):
        return self.low + p * (self.high - self.low)

    def stieltjes_pair(self, w):
        a, b = self.low, self.high
        with np.errstate(divide="ignore", invalid="ignore"):
            f = (np.log(w - b) - np.log(w - a)) / (b - a)
            fp = 1.0 / ((w - a) * (w - b))
        return f, fp

    def arg_potential(self, w):
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

    has_arg_potential = True

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

    def _pdf(self, x):
        raise TypeError("DiscreteLaw has no density; use its atoms and weights")

    def _cdf(self, x):
        k = np.searchsorted(self.atoms, x, side="right")
        return np.concatenate([[0.0], self._cumulative])[k]

    def _icdf(self, p):
        k = np.searchsorted(self._cumulative, p, side="left")
        return self.atoms[np.minimum(k, self.atoms.size - 1)]

    def _chunks(self, size: int):
        step = max(1, _CHUNK_ELEMENTS // self.atoms.size)
        for start in range(0, size, step):
            yield slice(start, min(start + step, size))

    def stieltjes_pair(self, w):
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

    def inverse_power_sums(self, u):
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

    def arg_potential(self, w):
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
