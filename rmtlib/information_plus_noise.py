"""Singular values of a full-rank rectangular signal plus noise: the information-plus-noise law.

``W = R / sqrt(N) + S`` is ``N x M`` (``R`` with i.i.d. entries of variance ``sigma^2``,
``gamma = M / N``, ``S`` deterministic of any rank). The empirical law of the squared
singular values of ``W`` follows the information-plus-noise law of Dozier and
Silverstein (J. Multivariate Anal. 98, 2007): with ``n = min(N, M)`` rows on the smaller
side (transpose ``W`` when ``N > M``; then ``sigma`` becomes ``sigma sqrt(gamma)`` and
``gamma`` becomes ``1 / gamma``) and ``H`` the law of the ``n`` squared singular values of
``S``, its Stieltjes transform ``m(w) = ∫ dmu(x) / (x - w)`` solves

    m = ∫ dH(t) / ( t / (1 + sigma^2 m) - (1 + sigma^2 m) w + sigma^2 (gamma - 1) ).

(In their notation ``(1/N')(R' + s X)(R' + s X)^*`` with ``c = n / N'``: ``N' = M``,
``R' = sqrt(M) S``, ``s = sigma sqrt(gamma)``, so that ``s^2 c = sigma^2``.)

Subordination. With ``f = f_H`` and ``q(zeta) = 1 - sigma^2 f(zeta)``, the equation says
``m(w) = f(zeta) / q(zeta)`` where ``zeta = zeta(w)`` solves ``Z(zeta) = w`` for the explicit map

    Z(zeta) = zeta q(zeta)^2 + sigma^2 (gamma - 1) q(zeta).

For ``S = 0`` (``H = delta_0``) ``Z(u) = (u + sigma^2)(u + sigma^2 gamma) / u``: the
Marchenko-Pastur edges are its values at the critical points ``u = ±sigma^2 sqrt(gamma)``, and
for a finite-rank ``S`` the outlier ``Z(s^2)`` is the Benaych-Georges--Nadakuditi location. In
general, the complement of the support is ``{Z(u) : u real, Z'(u) > 0, q(u) > 0}`` (Loubaton
and Vallet, Electron. J. Probab. 16, 2011), so the support edges are the values of ``Z`` at
its real critical points, as for :class:`~rmtlib.free_convolution.FreeConvolutionSemicircle`. Inside the
support, ``zeta(x + i0)`` runs on the curve ``Im Z(u + i v) = 0``, ``v > 0``, which gives
starting points for Newton's method. The cdf has the closed-form potential

    cdf = 1 + Im[ -∫ log(zeta - t) dH(t) - sigma^2 zeta f^2 + (gamma - 1)(log q - q) ] / pi,

whose derivative along ``Z`` is ``m``. For a square ``W`` the law of the symmetrized singular
values is the free convolution of the semicircle with the symmetrized singular values of
``S`` (Benaych-Georges, Probab. Theory Related Fields 144, 2009), an independent check.

:class:`InformationPlusNoise` is the law of the squared singular values of ``W``; the
predictions built on it (:func:`~rmtlib.outliers.rectangular_deterministic_equivalent`,
:func:`~rmtlib.outliers.predict_singular_outliers_over_bulk`) live in :mod:`rmtlib.outliers`
with the square ones.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import PchipInterpolator

from ._numerics import edge_coordinate, newton_on_the_curve, newton_upper_half_plane
from ._numerics import solve_increasing as _solve_increasing
from ._validation import (
    check_array,
    check_aspect_ratio,
    check_scale,
    check_signal_to_noise,
)
from .laws import DiscreteLaw, Law, SquareRootLaw, is_law

__all__ = ["InformationPlusNoise"]

_EPS = np.finfo(float).eps
_CHUNK = 1 << 15  # points x atoms per block (fits in cache)
_GAP_GRID = 64  # Z' samples per candidate gap of H
_TAIL_GRID = 96  # Z' samples left of the smallest and right of the largest atom
_POLISH_MAX = 256  # components asked for more quantiles are read off a dense curve
_CURVE_MAX = 512  # points on the curve of one component


def _check_signal(signal) -> DiscreteLaw:
    if not is_law(signal) or not hasattr(signal, "atoms"):
        raise TypeError(
            "signal must be a DiscreteLaw of the squared singular values of S "
            f"(e.g. DiscreteLaw(s**2)), got {type(signal).__name__}"
        )
    if signal.atoms[0] < 0:
        raise ValueError(
            f"signal must be a law on [0, inf) (squared singular values), min atom {signal.atoms[0]:.6g}"
        )
    return signal


class InformationPlusNoise(Law):
    """Limit law of the ``min(N, M)`` squared singular values of ``W = R / sqrt(N) + S``.

    Parameters
    ----------
    signal : DiscreteLaw
        The law of the ``min(N, M)`` squared singular values of ``S`` (zeros included).
    gamma : float
        Aspect ratio ``M / N`` (> 0).
    sigma : float
        Standard deviation of the entries of ``R`` (> 0).

    Notes
    -----
    See the module docstring for the equation and the subordination map ``Z``;
    :meth:`subordination_inverse` evaluates ``Z`` on the real axis.

    Examples
    --------
    >>> law = InformationPlusNoise(DiscreteLaw([0.0]), gamma=2.0, sigma=1.0)
    >>> [tuple(round(e, 10) for e in ab) for ab in law.support()]  # Marchenko-Pastur
    [(0.1715728753, 5.8284271247)]
    >>> round(float(law.subordination_inverse(9.0)), 4)  # a spike s^2 = 9: (9 + 1)(9 + 2) / 9, BGN
    12.2222
    """

    def __init__(self, signal, *, gamma: float, sigma: float):
        self.signal = _check_signal(signal)
        self.gamma = check_aspect_ratio(gamma, "gamma")
        self.sigma = check_scale(sigma, "sigma")
        check_signal_to_noise(np.sqrt(self.signal.atoms[-1:]), "sqrt of signal's atoms", self.sigma)
        # work on the smaller side (rows <= columns), in a unit that is a power of two near its
        # noise variance: the rescaling is exact, and the powers of 1 / (t - u) stay in range
        s2 = self.sigma**2 * min(self.gamma, 1.0)
        self._unit = float(2.0 ** np.round(np.log2(s2)))
        self._s2 = s2 / self._unit
        self._c = self._s2 * (max(self.gamma, 1.0 / self.gamma) - 1.0)
        self._t = np.asarray(self.signal.atoms, dtype=float) / self._unit
        self._w = np.asarray(self.signal.weights, dtype=float)
        self._inc = self._increasing_intervals()
        self._u_intervals = [(self._inc[k][1], self._inc[k + 1][0]) for k in range(len(self._inc) - 1)]
        ends = np.maximum(self._Z_real(np.array([u for uv in self._u_intervals for u in uv]))[0], 0.0)
        self._intervals = [(float(ends[2 * i]), float(ends[2 * i + 1])) for i in range(ends.size // 2)]
        self._edges = ends
        # cdf at the right end of each component: the mass of H left of its u-end
        self._mass = np.array([self._w[self._t < ur].sum() for _, ur in self._u_intervals])
        self._freeze()

    def _params(self):
        return {"signal": self.signal, "gamma": self.gamma, "sigma": self.sigma}

    # -- sums over the atoms of H ------------------------------------------------------
    def _sums(self, z, powers):
        """``sum_j w_j / (t_j - z)^k`` for each ``k`` in ``powers`` (complex or real ``z``)."""
        z = np.asarray(z)
        flat = z.ravel()
        if np.iscomplexobj(flat):
            return [o.reshape(z.shape) for o in self._complex_sums(flat, max(powers))[: len(powers)]]
        out = [np.empty(flat.shape) for _ in powers]
        step = max(1, _CHUNK // self._t.size)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for start in range(0, flat.size, step):
                sl = slice(start, start + step)
                r = 1.0 / (self._t[None, :] - flat[sl, None])
                rk, k_now = r.copy(), 1
                for i, k in enumerate(powers):
                    while k_now < k:
                        rk *= r
                        k_now += 1
                    out[i][sl] = rk @ self._w
        return [o.reshape(z.shape) for o in out]

    def _complex_sums(self, z, kmax):
        """``f(z)`` and ``f'(z)`` (``kmax = 2``) in real arithmetic: with ``a = t - Re z``,
        ``b = Im z`` and ``d = 1 / (a^2 + b^2)``, ``1 / (t - z) = (a + i b) d`` and
        ``1 / (t - z)^2 = (a^2 - b^2 + 2 i a b) d^2``. The real sums over the atoms (of ``a d`` and
        ``d``; then of ``a^2 d^2``, ``d^2`` and ``a d^2``) are one matrix-vector product per block."""
        n = self._t.size
        rows = 2 if kmax < 2 else 5
        step = max(1, _CHUNK // n)
        buf = np.empty((min(step, z.size), rows, n))
        sums = np.empty((z.size, rows))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for start in range(0, z.size, step):
                m = min(step, z.size - start)
                sl = slice(start, start + m)
                blk = buf[:m]
                a, d = blk[:, 0], blk[:, 1]
                np.subtract(self._t[None, :], z.real[sl, None], out=a)
                np.multiply(a, a, out=d)
                d += (z.imag[sl] ** 2)[:, None]
                np.reciprocal(d, out=d)
                if kmax > 1:
                    np.multiply(d, d, out=blk[:, 3])  # d^2
                    np.multiply(a, blk[:, 3], out=blk[:, 4])  # a d^2
                np.multiply(a, d, out=a)  # a d
                if kmax > 1:
                    np.multiply(a, a, out=blk[:, 2])  # a^2 d^2
                sums[sl] = (blk.reshape(m * rows, n) @ self._w).reshape(m, rows)
        b = z.imag
        f = sums[:, 0] + 1j * (b * sums[:, 1])
        if kmax < 2:
            return f, np.empty(z.shape, dtype=complex)
        fp = (sums[:, 2] - b**2 * sums[:, 3]) + 1j * (2 * b * sums[:, 4])
        return f, fp

    def _Z_real(self, u):
        """``(Z, Z', Z'', q)`` for real ``u`` off the atoms."""
        u = np.asarray(u, dtype=float)
        f, fp, fpp2 = self._sums(u, (1, 2, 3))  # f, f', f''/2
        s2, c = self._s2, self._c
        q, qp, qpp = 1 - s2 * f, -s2 * fp, -2 * s2 * fpp2
        z = u * q * q + c * q
        zp = q * q + 2 * u * q * qp + c * qp
        zpp = 4 * q * qp + 2 * u * (qp * qp + q * qpp) + c * qpp
        return z, zp, zpp, q

    def _Z_derivatives(self, u):
        """The first three derivatives of ``Z`` at real ``u`` off the atoms."""
        f, fp, fpp2, fppp6 = self._sums(np.asarray(u, dtype=float), (1, 2, 3, 4))  # f, f', f'' / 2, f^(3) / 6
        s2, c = self._s2, self._c
        q, qp, qpp, qppp = 1 - s2 * f, -s2 * fp, -2 * s2 * fpp2, -6 * s2 * fppp6
        zp = q * q + 2 * u * q * qp + c * qp
        zpp = 4 * q * qp + 2 * u * (qp * qp + q * qpp) + c * qpp
        zppp = 6 * (qp * qp + q * qpp) + 2 * u * (3 * qp * qpp + q * qppp) + c * qppp
        return zp, zpp, zppp

    def _Z_complex(self, zeta):
        """``(Z, Z', f, f', q)`` for complex ``zeta``."""
        f, fp = self._sums(np.asarray(zeta, dtype=complex), (1, 2))
        s2, c = self._s2, self._c
        q, qp = 1 - s2 * f, -s2 * fp
        return zeta * q * q + c * q, q * q + 2 * zeta * q * qp + c * qp, f, fp, q

    def _potential_im(self, zeta, f, q):
        """``Im F(zeta)``; ``cdf = 1 + Im F / pi``."""
        flat_z = zeta.ravel()
        flat_out = np.empty(flat_z.shape)
        step = max(1, _CHUNK // self._t.size)
        for start in range(0, flat_z.size, step):
            sl = slice(start, start + step)
            d = flat_z[sl, None] - self._t[None, :]
            flat_out[sl] = np.arctan2(d.imag, d.real) @ self._w
        arg = flat_out.reshape(zeta.shape)
        qi = np.minimum(q.imag, 0.0)  # Im q <= 0 in the closed upper half-plane
        return -arg - self._s2 * (zeta * f * f).imag + self._c / self._s2 * (np.arctan2(qi, q.real) - qi)

    def subordination_inverse(self, u):
        """``Z(u) = u q(u)^2 + sigma^2 (gamma - 1) q(u)``, ``q = 1 - sigma^2 f_H(u)``, for real ``u``
        off the atoms of ``H`` (smaller-side normalization; see the module docstring).

        For an outlier ``s`` of ``S`` in front of a bulk ``H``, ``sqrt(Z(s^2))`` is the
        first-order location of the singular value of ``W`` it produces (when ``Z'(s^2) > 0``).
        """
        u = check_array(u, "u")
        if np.any(np.isin(u, self.signal.atoms)):
            raise ValueError("u must avoid the atoms of signal (Z has poles there)")
        return (self._Z_real(u.ravel() / self._unit)[0] * self._unit).reshape(u.shape)[()]

    def _last_critical_point(self) -> float:
        """The largest real critical point of ``Z``: a squared singular value of ``S`` right of it
        separates from the bulk."""
        return self._inc[-1][0] * self._unit

    def _map_and_slopes(self, u):
        """``(Z(u), Z'(u), q(u))`` for real ``u`` right of the last atom."""
        z, zp, _, q = self._Z_real(np.asarray(u, dtype=float) / self._unit)
        return z * self._unit, zp, q

    # -- support ------------------------------------------------------------------------
    def _increasing_intervals(self):
        """Maximal intervals of real ``u`` with ``Z'(u) > 0`` and ``q(u) > 0``, sorted; the first
        starts at ``-inf`` and the last ends at ``+inf``. The support of the law is the image
        under ``Z`` of the complement."""
        t, w, s2 = self._t, self._w, self._s2
        scale = s2 * (1 + max(self.gamma, 1 / self.gamma)) + t[-1]
        pieces = []  # (grid, whether the grid runs to -inf / +inf)
        # left of the smallest atom: q decreases from 1 to -inf; q > 0 up to its root u0
        u0 = self._q_root(np.array([t[0] - 2 * s2]), np.array([t[0]]))[0]
        pieces.append(u0 - _tail_offsets(scale, 1e-3 * s2 * w[0], u0)[::-1])
        # candidate gaps of H: a gap opens only where (w_j^(1/3) + w_(j+1)^(1/3))^(3/2) / gap < Y(t_j)
        if t.size > 1:
            gap = np.diff(t)
            cw = np.cbrt(w)
            y_min = (cw[:-1] + cw[1:]) ** 1.5 / gap
            tj = t[:-1]
            with np.errstate(divide="ignore"):
                y_max = np.where(tj > 0, (s2 + np.sqrt(s2 * s2 + 8 * s2 * tj)) / (4 * s2 * tj), np.inf)
            cand = np.flatnonzero(y_min < y_max)
            if cand.size:
                lo, hi = t[cand], t[cand + 1]
                roots = self._q_root(lo, hi)
                k = np.arange(1, _GAP_GRID + 1)
                frac = 0.5 * (1 - np.cos(np.pi * k / (_GAP_GRID + 1)))
                # near both ends Z' varies on the scale sigma^2 w of the atom, which may be far below
                # the first grid step of a wide gap: three points a decade down to it
                for a, b, wa, wb in zip(lo, roots, w[cand], w[cand + 1], strict=True):
                    step = frac[0] * (b - a)
                    pieces.append(
                        np.concatenate(
                            [
                                a + _fine_offsets(1e-3 * s2 * wa, step, a),
                                a + (b - a) * frac,
                                b - _fine_offsets(1e-3 * s2 * wb, step, b)[::-1],
                            ]
                        )
                    )
        pieces.append(t[-1] + _tail_offsets(scale, 1e-3 * s2 * w[-1], t[-1]))
        sizes = [p.size for p in pieces]
        grid = np.concatenate(pieces)
        _, zp, zpp, _ = self._Z_real(grid)
        # the local extrema of Z' (sign changes of Z''), refined, join the grid: between
        # consecutive points Z' is then monotone, so a gap as narrow as a cusp allows is seen
        piece = np.repeat(np.arange(len(sizes)), sizes)
        turn = np.flatnonzero((np.diff(np.sign(zpp)) != 0) & (np.diff(piece) == 0))
        turn = turn[np.isfinite(zpp[turn]) & np.isfinite(zpp[turn + 1])]
        if turn.size:
            u_ext = self._zpp_root(grid[turn], grid[turn + 1], falling=zpp[turn] > 0)
            order = np.argsort(np.concatenate([grid, u_ext]), kind="stable")
            piece = np.concatenate([piece, piece[turn]])[order]
            grid = np.concatenate([grid, u_ext])[order]
            zp = np.concatenate([zp, self._Z_real(u_ext)[1]])[order]
            sizes = np.bincount(piece, minlength=len(sizes)).tolist()
        intervals = []
        start = 0
        for m, size in enumerate(sizes):
            g, pos = grid[start : start + size], zp[start : start + size] > 0
            start += size
            if m == 0:
                pos[0] = True  # Z' -> 1 at -inf
            if m == len(sizes) - 1:
                pos[-1] = True  # Z' -> 1 at +inf
            change = np.flatnonzero(np.diff(pos.astype(int)))
            bounds = (
                list(self._zp_root(g[change], g[change + 1], rising=pos[change + 1])) if change.size else []
            )
            if pos[0]:
                bounds.insert(0, -np.inf if m == 0 else g[0])
            if pos[-1]:
                bounds.append(np.inf if m == len(sizes) - 1 else g[-1])
            intervals += [(float(bounds[2 * i]), float(bounds[2 * i + 1])) for i in range(len(bounds) // 2)]
        return intervals

    def _q_root(self, lo, hi):
        """Root of the decreasing ``q`` in each bracket ``(lo, hi)`` (hi an atom or +inf side)."""

        def fun(u, idx):
            f, fp = self._sums(u, (1, 2))
            return self._s2 * f - 1, self._s2 * fp  # -q, increasing

        hi = np.nextafter(hi, -np.inf)
        lo = np.nextafter(lo, np.inf)
        return _solve_increasing(fun, lo, hi)

    def _zp_root(self, lo, hi, rising):
        """Root of ``Z'`` between grid points ``lo < hi`` where it changes sign."""
        sign = np.where(rising, 1.0, -1.0)

        def fun(u, idx):
            _, zp, zpp, _ = self._Z_real(u)
            return sign[idx] * zp, sign[idx] * zpp

        return _solve_increasing(fun, np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))

    def _zpp_root(self, lo, hi, falling):
        """Root of ``Z''`` (an extremum of ``Z'``) between grid points ``lo < hi`` where it changes sign."""
        sign = np.where(falling, -1.0, 1.0)

        def fun(u, idx):
            _, zpp, zppp = self._Z_derivatives(u)
            return sign[idx] * zpp, sign[idx] * zppp

        return _solve_increasing(fun, np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))

    def support(self):
        u = self._unit
        return [(a * u, b * u) for a, b in self._intervals]

    def edges(self) -> np.ndarray:
        """All support edges, sorted."""
        return self._edges * self._unit

    # -- the curve zeta(x + i0) inside the support -----------------------------------------
    def _curves(self, ids, sizes):
        """Points ``(x, zeta, cdf)`` on ``zeta(x + i0)`` over the components ``ids``."""
        us, slots = [], []
        for i, k in zip(ids, sizes, strict=True):
            ul, ur = self._u_intervals[i]
            us.append(ul + 0.5 * (ur - ul) * (1 - np.cos(np.linspace(0, np.pi, k))))
            slots.append(k)
        u = np.concatenate(us)
        ends = np.cumsum([0, *slots])
        v = np.zeros(u.size)
        interior = np.ones(u.size, dtype=bool)
        interior[ends[:-1]] = interior[ends[1:] - 1] = False
        v[interior] = self._curve_height(u[interior])
        zeta = u + 1j * v
        z, _, f, _, q = self._Z_complex(zeta)
        cdf = 1 + self._potential_im(zeta, f, q) / np.pi
        x = z.real
        return [
            (
                np.maximum.accumulate(x[ends[m] : ends[m + 1]]),
                zeta[ends[m] : ends[m + 1]],
                np.maximum.accumulate(cdf[ends[m] : ends[m + 1]]),
            )
            for m in range(len(ids))
        ]

    def _phi(self, u, v):
        z, zp, *_ = self._Z_complex(u + 1j * v)
        phi = z.imag / v
        return phi, zp.real - phi  # d phi / d log v

    def _curve_height(self, u):
        """The largest ``v > 0`` with ``Im Z(u + i v) = 0``, for ``u`` ascending within components.

        On a coarse subset: halve ``v`` from above until ``Im Z / v`` turns negative, then Newton
        in ``log v`` inside that bracket. The other points start from the interpolated
        coarse curve with the bracket ``[v / 2, 2 v]`` (the ladder where that fails)."""
        v = np.full(u.size, np.nan)
        coarse = np.zeros(u.size, dtype=bool)
        coarse[:: max(1, u.size // 64)] = True
        coarse[-1] = True
        v[coarse] = self._curve_height_ladder(u[coarse])
        rest = np.flatnonzero(~coarse)
        if rest.size:
            guess = np.exp(np.interp(u[rest], u[coarse], np.log(v[coarse])))
            lo, hi = 0.5 * guess, 2.0 * guess
            ok = (self._phi(u[rest], lo)[0] < 0) & (self._phi(u[rest], hi)[0] > 0)
            v[rest[ok]] = self._curve_newton(u[rest[ok]], lo[ok], hi[ok], guess[ok])
            if np.any(~ok):
                v[rest[~ok]] = self._curve_height_ladder(u[rest[~ok]])
        return v

    def _curve_height_ladder(self, u):
        hi = np.full(u.size, 4.0 * (np.sqrt(self._s2 * (self._s2 + self._c)) + self._t[-1] + self._s2))
        for _ in range(60):
            bad = self._phi(u, hi)[0] <= 0
            if not np.any(bad):
                break
            hi[bad] *= 4.0
        lo = hi.copy()
        active = np.ones(u.size, dtype=bool)
        for _ in range(120):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            lo[idx] *= 0.5
            neg = self._phi(u[idx], lo[idx])[0] < 0
            active[idx[neg]] = False
        return self._curve_newton(u, lo, 2.0 * lo, np.sqrt(2.0) * lo)

    def _curve_newton(self, u, lo, hi, v0):
        """Newton in ``log v`` on ``Im Z(u + i v) / v = 0`` inside the brackets ``[lo, hi]``
        (negative at ``lo``, positive at ``hi``)."""

        def fun(x, idx):
            return self._phi(u[idx], np.exp(x))

        # a relative precision of 1e-12 in v: below it, Im Z / v is rounding noise where v is small
        return np.exp(_solve_increasing(fun, np.log(lo), np.log(hi), np.log(v0), maxiter=40, xtol=1e-12))

    def _newton_zeta(self, target, guess, *, maxiter: int = 60):
        """Newton for ``Z(zeta) = target`` keeping ``Im zeta > 0``."""
        zeta, _ = newton_upper_half_plane(
            lambda za: self._Z_complex(za)[:2], target, guess, rtol=1e-7, scale=1.0, maxiter=maxiter
        )
        return zeta

    def _zeta_inside(self, x):
        """``zeta(x + i0)`` for real ``x`` inside the support (a flat array)."""
        edges = self._edges
        which = (np.searchsorted(edges, x, side="right") - 1) // 2
        ids, counts = np.unique(which, return_counts=True)
        curves = self._curves(ids, np.clip(counts // 2, 16, 200))
        guess = np.empty(x.size, dtype=complex)
        for i, (xs, zs, _) in zip(ids, curves, strict=True):
            sel = which == i
            guess[sel] = np.interp(x[sel], xs, zs.real) + 1j * np.maximum(
                np.interp(x[sel], xs, zs.imag), 1e-300
            )
        return self._newton_zeta(x + 0j, guess)

    def _inside(self, x):
        slot = np.searchsorted(self._edges, x, side="right")
        return (slot % 2 == 1) & ~np.isin(x, self._edges)

    # -- density, cdf, quantiles -----------------------------------------------------------
    def _pdf(self, x):
        return self._pdf_w(x.ravel() / self._unit).reshape(x.shape) / self._unit

    def _cdf(self, x):
        return self._cdf_w(x.ravel() / self._unit).reshape(x.shape)

    def _icdf(self, p):
        return (self._icdf_w(p.ravel()) * self._unit).reshape(p.shape)

    def _pdf_w(self, flat):
        """The density at the points ``flat`` (in the working unit)."""
        out = np.zeros(flat.shape)
        inside = np.flatnonzero(self._inside(flat))
        if inside.size:
            zeta = self._zeta_inside(flat[inside])
            q = self._Z_complex(zeta)[4]
            out[inside] = np.maximum((1.0 / q).imag / (self._s2 * np.pi), 0.0)
        return out

    def _cdf_w(self, flat):
        """The cdf at the points ``flat`` (in the working unit)."""
        edges = self._edges
        slot = np.searchsorted(edges, flat, side="right")
        out = np.concatenate([[0.0], np.repeat(self._mass, 2)])[slot - slot % 2]  # outside and on edges
        inside = np.flatnonzero(self._inside(flat))
        if inside.size:
            zeta = self._zeta_inside(flat[inside])
            _, _, f, _, q = self._Z_complex(zeta)
            out[inside] = 1 + self._potential_im(zeta, f, q) / np.pi
        return np.clip(out, 0.0, 1.0)

    def _icdf_w(self, flat):
        """The quantiles of the levels ``flat`` (in the working unit)."""
        out = np.empty(flat.shape)
        edges = self._edges
        out[flat <= 0] = edges[0]
        out[flat >= 1] = edges[-1]
        inner = np.flatnonzero((flat > 0) & (flat < 1))
        if inner.size:
            which = np.minimum(
                np.searchsorted(self._mass, flat[inner], side="left"), len(self._intervals) - 1
            )
            out[inner] = self._invert(flat[inner], which)
        return out

    def _invert(self, p, which):
        """Quantiles ``p`` in the components ``which``.

        A component asked for at most ``_POLISH_MAX`` quantiles (outliers, small clusters):
        interpolate on the curve, then a 2 x 2 Newton iteration on ``Im Z(zeta) = 0`` and
        ``Im F(zeta) = pi (p - 1)``. A larger one (the bulk): monotone cubic interpolation of
        ``x`` on a curve of up to ``_CURVE_MAX`` points, in a coordinate linear near the edges.
        """
        ids, counts = np.unique(which, return_counts=True)
        curves = self._curves(ids, np.clip(counts, 24, _CURVE_MAX))
        zeta = np.empty(p.size, dtype=complex)
        x, x_lo, x_hi, a, b = (np.empty(p.size) for _ in range(5))
        polish = np.zeros(p.size, dtype=bool)
        for i, n_i, (xs, zs, fs) in zip(ids, counts, curves, strict=True):
            sel = which == i
            hard = self._c == 0 and self._intervals[i][0] == 0.0  # gamma = 1: cdf ~ u - u_edge at 0
            t_grid = edge_coordinate(fs, fs[0], fs[-1], hard)
            tq = edge_coordinate(p[sel], fs[0], fs[-1], hard)
            keep = np.concatenate([[True], np.diff(t_grid) > 0])  # strictly increasing nodes
            x[sel] = PchipInterpolator(t_grid[keep], xs[keep])(tq)
            zeta[sel] = np.interp(tq, t_grid, zs.real) + 1j * np.maximum(
                np.interp(tq, t_grid, zs.imag), 1e-300
            )
            slot = np.clip(np.searchsorted(fs, p[sel]), 1, fs.size - 1)
            x_lo[sel], x_hi[sel] = xs[slot - 1], xs[slot]
            a[sel], b[sel] = self._intervals[i]
            # near the ends the coordinate may not fit (a hard edge at 0 when gamma = 1): polish there
            polish[sel] = (n_i <= _POLISH_MAX) | (slot <= 8) | (slot >= fs.size - 8)

        def on_curve(za):
            z, zp, f, _, q = self._Z_complex(za)
            return z, zp, self._potential_im(za, f, q), (f / q) * zp

        active = newton_on_the_curve(on_curve, np.pi * (p - 1), zeta, x, polish.copy(), scale=1.0)
        failed = polish & (active | ~((x >= x_lo) & (x <= x_hi)))
        if np.any(failed):  # safeguard: bracketed Newton on the cdf itself
            target_p = p[failed]

            def fun(xx, j):
                return self._cdf_w(xx) - target_p[j], self._pdf_w(xx)

            x[failed] = _solve_increasing(fun, x_lo[failed], x_hi[failed], x[failed])
        return np.clip(x, a, b)

    def stieltjes_pair(self, w):
        """``(m(w), m'(w))`` in the closed upper half-plane."""
        w = np.asarray(w, dtype=complex)
        flat = w.ravel() / self._unit
        zeta = np.empty(flat.shape, dtype=complex)
        real = flat.imag == 0
        inside = real & self._inside(flat.real)
        zeta[inside] = self._zeta_inside(flat.real[inside]) if np.any(inside) else zeta[inside]
        out = np.flatnonzero(real & ~inside)
        if out.size:
            zeta[out] = self._zeta_outside(flat.real[out]) + 0j
        off = np.flatnonzero(~real)
        if off.size:
            xr = flat.real[off]
            base = np.zeros(off.size, dtype=complex)
            ins = self._inside(xr)
            if np.any(ins):
                base[ins] = self._zeta_inside(xr[ins])
            if np.any(~ins):
                base[~ins] = self._zeta_outside(xr[~ins]) + 0j
            zeta[off] = self._newton_zeta(flat[off], base + 1j * flat.imag[off])
        _, zp, f, fp, q = self._Z_complex(zeta)
        with np.errstate(all="ignore"):
            m, mp = f / q / self._unit, fp / (q * q * zp) / self._unit / self._unit
        return m.reshape(w.shape), mp.reshape(w.shape)

    def _zeta_outside(self, x):
        """The real ``zeta`` on the increasing branch of ``Z`` for real ``x`` outside the support."""
        inc = self._inc
        edges = self._edges
        k = np.searchsorted(edges, x, side="right") // 2  # index of the increasing interval
        lo = np.array([inc[j][0] for j in k], dtype=float)
        hi = np.array([inc[j][1] for j in k], dtype=float)
        first, last = k == 0, k == len(inc) - 1
        hi_first = np.minimum(hi, 0.0)
        lo = np.where(first, np.minimum(x, hi_first) - 1.0, lo)
        while np.any(first):  # Z(u) -> -inf as u -> -inf: widen until Z(lo) < x
            bad = first & (self._Z_real(lo)[0] >= x)
            if not np.any(bad):
                break
            lo = np.where(bad, 2 * lo - 1.0, lo)
        hi = np.where(last, np.maximum(x, lo) + 1.0, hi)  # Z(u) >= u right of the atoms

        def fun(u, idx):
            z, zp, _, _ = self._Z_real(u)
            return z - x[idx], zp

        return _solve_increasing(fun, lo, hi)

    @property
    def mean(self):
        """``∫ x dmu = ∫ t dH + sigma^2 max(gamma, 1)``."""
        return float(self._w @ self._t) * self._unit + self.sigma**2 * max(self.gamma, 1.0)

    def singular_values(self) -> SquareRootLaw:
        """The law of the singular values themselves."""
        return SquareRootLaw(self)


def _fine_offsets(finest, coarsest, end):
    """Distances from ``end``, three a decade from ``finest`` (the scale ``sigma^2 w`` on which ``Z'``
    varies next to an atom of weight ``w``; at least a few units in the last place of ``end``) up to
    ``coarsest`` excluded: none when ``finest >= coarsest``."""
    finest = max(finest, 8 * _EPS * abs(end))
    decades = np.log10(coarsest / finest)
    if not decades > 0:
        return np.empty(0)
    return np.geomspace(finest, coarsest, int(np.ceil(3 * decades)) + 1)[:-1]


def _tail_offsets(scale, finest, end):
    """Distances from the ``end`` of a tail, ascending: geometric from ``1e-13 scale`` to ``1e3 scale``,
    below that :func:`_fine_offsets` down to ``finest``."""
    d = np.geomspace(1e-13 * scale, 1e3 * scale, _TAIL_GRID)
    return np.concatenate([_fine_offsets(finest, d[0], end), d])
