"""The free convolution of a law with a semicircle, ``mu = mu_sc(sigma) ⊞ nu``.

The limit of the spectral distribution of ``H = W + S`` (Pastur 1972; the book's
page *Conventions*, ``book/conventions.md``, states the equations).
:class:`FreeConvolutionSemicircle` solves Pastur's equation through the
subordination function ``omega(z) = z + sigma^2 f(z)``, the inverse of
``H(w) = w + sigma^2 G_nu(w)``. Support edges are the values of ``H`` at its real
critical points; inside the support, Biane's (1997) parametrization of the curve
``sigma^2 ∫ dnu(a) / |w - a|^2 = 1`` gives starting points from which a
safeguarded complex Newton iteration (kept in the upper half-plane) converges in
a few steps. The cdf is read off the closed-form antiderivative
``1 + Im[∫ log(omega - a) dnu(a) + sigma^2 G_nu(omega)^2 / 2] / (-pi)`` when ``nu``
knows its ``arg_potential``.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import PchipInterpolator

from ._numerics import (
    edge_coordinate,
    newton_on_the_curve,
    newton_upper_half_plane,
    solve_increasing,
    to_upper_half_plane,
)
from ._validation import check_complex_array, check_scale
from .laws import DiscreteLaw, Law, is_law

__all__ = ["FreeConvolutionSemicircle"]

_POLISH_MAX = 4096  # components asked for more quantiles are read off a dense curve
_CURVE_MAX = 2048  # points on the curve of one such component
_MAX_GAP_WORK = 1e7  # (gaps of nu that may open) x (atoms of nu): the cost of finding the support


class FreeConvolutionSemicircle(Law):
    """The free convolution ``mu = mu_sc(sigma) ⊞ nu``: limit ESD of ``W + S`` (T2; Pastur 1972, Biane 1997).

    Parameters
    ----------
    nu : Law
        The law of the spectrum of ``S`` (e.g. a :class:`DiscreteLaw` of its
        eigenvalues, or :class:`Uniform`). Finding the support of a discrete ``nu``
        costs (gaps between its atoms wide enough to open at ``sigma``) x (atoms):
        10^5 atoms of a spectrum with few such gaps are quick, and a product above
        10^7 (atoms spread far apart compared with ``sigma``) is refused.
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
    >>> from rmtlib.laws import DiscreteLaw, Semicircle
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
        sigma = check_scale(sigma, "sigma")
        if isinstance(nu, FreeConvolutionSemicircle):  # sc(s1) ⊞ sc(s2) = sc(sqrt(s1^2 + s2^2))
            sigma, nu = float(np.hypot(sigma, nu.sigma)), nu.nu
        self.nu = nu
        self.sigma = sigma
        self._u_intervals = [(float(ul), float(ur)) for ul, ur in self._find_u_intervals()]
        ends = self._H(self.critical_points() + 0j).real
        self._intervals = [(float(ends[2 * i]), float(ends[2 * i + 1])) for i in range(ends.size // 2)]
        self._freeze()

    def _params(self):
        return {"nu": self.nu, "sigma": self.sigma}

    # -- H and its derivatives ---------------------------------------------------
    def _H(self, w):
        f, _ = self.nu.stieltjes_pair(w)
        return w - self.sigma**2 * f

    def _H_pair(self, w):
        f, fp = self.nu.stieltjes_pair(w)
        return w - self.sigma**2 * f, 1 - self.sigma**2 * fp

    def _hp_real(self, u):
        """``H'(u)`` for real ``u`` outside the support of nu, with H'' and H''' when cheap."""
        s2 = self.sigma**2
        if isinstance(self.nu, DiscreteLaw):
            m2, m3, m4 = self.nu.inverse_power_sums(u)
            return 1 - s2 * m2, 2 * s2 * m3, -6 * s2 * m4
        _, fp = self.nu.stieltjes_pair(np.asarray(u, dtype=float) + 0j)
        return 1 - s2 * fp.real, None, None

    # -- support -----------------------------------------------------------------
    def _find_u_intervals(self) -> list[tuple[float, float]]:
        """The intervals of ``u`` where ``H'(u) < 0`` or ``u`` is in supp(nu); their images are supp(mu)."""
        s = self.sigma
        nu_support = self.nu.support()
        lo0, hi_end = nu_support[0][0], nu_support[-1][1]
        left = solve_increasing(lambda u, _: _neg(self._hp_real(u)), [lo0 - s], [lo0])[0]
        right = solve_increasing(lambda u, _: self._hp_real(u)[:2], [hi_end], [hi_end + s])[0]
        if len(nu_support) > 1 and not isinstance(self.nu, DiscreteLaw):
            raise NotImplementedError(
                "nu with a continuous support of several intervals is not supported; "
                "pass a DiscreteLaw of its quantiles (nu.quantiles(n)) instead"
            )
        gaps_lo = np.array([b for (_, b) in nu_support[:-1]], dtype=float)
        gaps_hi = np.array([a for (a, _) in nu_support[1:]], dtype=float)
        if isinstance(self.nu, DiscreteLaw) and gaps_lo.size:
            w = np.cbrt(self.nu.weights)
            with np.errstate(divide="ignore", over="ignore"):  # (nearly) coincident atoms: no gap
                bound = s**2 * (w[:-1] + w[1:]) ** 3 / (gaps_hi - gaps_lo) ** 2
            cand = bound < 1
            _check_cost(int(cand.sum()), self.nu.atoms.size, s)
            gaps_lo, gaps_hi = gaps_lo[cand], gaps_hi[cand]
            w_lo, w_hi = w[:-1][cand], w[1:][cand]
        splits = []
        if gaps_lo.size:
            # H' is concave on each gap: its maximum is the root of the decreasing H''
            x0 = gaps_lo + (gaps_hi - gaps_lo) * w_lo / (w_lo + w_hi)
            peak = solve_increasing(lambda u, _: _neg(self._hp_real(u)[1:]), gaps_lo, gaps_hi, x0)
            hp_peak = self._hp_real(peak)[0]
            opened = hp_peak > 0
            if np.any(opened):
                glo, ghi, pk = gaps_lo[opened], gaps_hi[opened], peak[opened]
                u1 = solve_increasing(lambda u, _: self._hp_real(u)[:2], glo, pk)
                u2 = solve_increasing(lambda u, _: _neg(self._hp_real(u)), pk, ghi)
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

    def critical_points(self) -> np.ndarray:
        """The points ``u`` with ``H(u) =`` :meth:`edges`, sorted: the real critical points of ``H``.

        An eigenvalue ``theta`` of ``S`` beyond the outermost ones separates from the bulk.

        Examples
        --------
        >>> from rmtlib.laws import DiscreteLaw
        >>> FreeConvolutionSemicircle(DiscreteLaw([0.0]), sigma=1.0).critical_points().round(12).tolist()
        [-1.0, 1.0]
        """
        return np.array([u for uv in self._u_intervals for u in uv])

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
            f, fp = self.nu.stieltjes_pair(u[idx] + 1j * v)
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
        floor = np.broadcast_to(np.asarray(z_imag, dtype=float), x.shape)
        # quadratic convergence: a step below 1e-6 Im(omega) leaves an error ~1e-12 Im(omega)
        w, active = newton_upper_half_plane(
            self._H_pair, x + 1j * z_imag, w, floor=floor, rtol=1e-6, scale=self.sigma, maxiter=maxiter
        )
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
        ubounds = self.critical_points()
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

            w[outside] = solve_increasing(fun, lo, hi) + 0j
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
            w[on_edge] = self.critical_points()[np.searchsorted(bounds, x[on_edge])]
        return w

    def _pdf(self, x):
        w = self._omega_real(x.ravel(), inside_only=True)
        return (w.imag / (np.pi * self.sigma**2)).reshape(x.shape)

    def _cdf_from_omega(self, w):
        g = -self.nu.stieltjes_pair(w)[0]
        val = 1 - (self.nu.arg_potential(w) + 0.5 * self.sigma**2 * (g * g).imag) / np.pi
        return np.clip(val, 0.0, 1.0)

    def _cdf(self, x):
        if not self.nu.has_arg_potential:
            return super()._cdf(x)
        w = to_upper_half_plane(self._omega_real(x.ravel()))
        return self._cdf_from_omega(w).reshape(x.shape)

    def stieltjes_pair(self, z):
        z = np.asarray(z, dtype=complex)
        flat = z.ravel()
        w = self._omega_real(flat.real)
        off = flat.imag > 0
        if np.any(off):
            guess = w[off] + 1j * flat.imag[off]
            w[off] = self._newton_omega(flat.real[off], guess, flat.imag[off])
        w = to_upper_half_plane(w)
        f = (w - flat) / self.sigma**2
        _, fnu_p = self.nu.stieltjes_pair(w)
        with np.errstate(divide="ignore", invalid="ignore"):
            fp = fnu_p / (1 - self.sigma**2 * fnu_p)
        return f.reshape(z.shape), fp.reshape(z.shape)

    def subordination(self, z):
        """The subordination function ``omega(z) = z + sigma^2 f(z)`` (``f_mu = f_nu ∘ omega``)."""
        z = check_complex_array(z, "z")
        f = self.stieltjes(z)
        return (z + self.sigma**2 * f)[()]

    def _icdf(self, p):
        if not self.nu.has_arg_potential:
            return super()._icdf(p)
        flat = p.ravel()
        out = np.empty(flat.shape)
        edges = self.edges()
        cum = self._cdf_from_omega(to_upper_half_plane(self._omega_real(edges)))
        out[flat <= 0] = edges[0]
        out[flat >= 1] = edges[-1]
        # the first component whose right end carries cdf >= p (inf{x : cdf(x) >= p})
        inner = np.flatnonzero((flat > 0) & (flat < 1))
        if inner.size:
            which = np.minimum(np.searchsorted(cum[1::2], flat[inner], side="left"), len(self._intervals) - 1)
            out[inner] = self._invert(flat[inner], which)
        return out.reshape(p.shape)

    def _invert(self, p, which):
        """Quantiles ``p`` lying in the support components ``which``.

        Solves for ``omega`` on the boundary curve directly: ``Im H(omega) = 0`` and
        ``Im Lambda(omega) = pi (1 - p)`` with ``Lambda = ∫ log(omega - a) dnu(a) +
        sigma^2 G_nu(omega)^2 / 2`` (so that ``cdf = 1 - Im Lambda / pi``), by a 2 x 2
        Newton iteration (``Lambda' = G_nu H'``); then ``x = Re H(omega)``. A component asked for
        more than ``_POLISH_MAX`` quantiles (the bulk of a large spectrum) is read off a curve of
        ``_CURVE_MAX`` points by monotone cubic interpolation instead, polished only next to its
        edges: the cost is then linear in the number of atoms.
        """
        s2 = self.sigma**2
        ids, counts = np.unique(which, return_counts=True)
        dense = counts > _POLISH_MAX
        curves = self._biane_curves(ids, np.where(dense, _CURVE_MAX, np.clip(counts, 16, 400)))
        w = np.empty(p.size, dtype=complex)
        x, x_lo, x_hi, a, b = (np.empty(p.size) for _ in range(5))
        polish = np.ones(p.size, dtype=bool)
        for i, dense_i, (xs, om) in zip(ids, dense, curves, strict=True):
            sel = which == i
            fs = np.maximum.accumulate(self._cdf_from_omega(to_upper_half_plane(om)))
            # near both edges cdf - cdf(edge) ~ (u - u_edge)^3: interpolate in a variable linear in u
            t_grid, t = edge_coordinate(fs, fs[0], fs[-1]), edge_coordinate(p[sel], fs[0], fs[-1])
            w[sel] = np.interp(t, t_grid, om.real) + 1j * np.maximum(np.interp(t, t_grid, om.imag), 1e-300)
            slot = np.clip(np.searchsorted(fs, p[sel]), 1, fs.size - 1)
            if dense_i:  # monotone cubic interpolation; Newton only next to the edges
                keep = np.concatenate([[True], np.diff(t_grid) > 0])
                x[sel] = PchipInterpolator(t_grid[keep], xs[keep])(t)
                polish[sel] = (slot <= 8) | (slot >= fs.size - 8)
            else:
                x[sel] = np.interp(t, t_grid, xs)
            x_lo[sel], x_hi[sel] = xs[slot - 1], xs[slot]
            a[sel], b[sel] = self._intervals[i]
        nu = self.nu

        def on_curve(wa):
            f, fp = nu.stieltjes_pair(wa)
            h, hp = wa - s2 * f, 1 - s2 * fp
            return h, hp, nu.arg_potential(wa) + 0.5 * s2 * (f * f).imag, -f * hp

        active = newton_on_the_curve(on_curve, np.pi * (1 - p), w, x, polish.copy(), scale=self.sigma)
        failed = polish & (active | ~((x >= x_lo) & (x <= x_hi)))
        if np.any(failed):  # safeguard: bracketed Newton on the cdf itself
            target_p = p[failed]

            def fun(xx, j):
                om_x = self._omega_real(xx, inside_only=True)
                return self._cdf_from_omega(to_upper_half_plane(om_x)) - target_p[j], om_x.imag / (np.pi * s2)

            x[failed] = solve_increasing(fun, x_lo[failed], x_hi[failed], x[failed])
        return np.clip(x, a, b)

    @property
    def mean(self):
        return self.nu.mean

    @property
    def var(self):
        return self.nu.var + self.sigma**2


def _check_cost(gaps: int, atoms: int, sigma: float) -> None:
    """Refuse a law whose support may split at ``gaps`` gaps of ``nu``: each costs root-finding
    on sums over all ``atoms``, so the work grows as their product (quadratically in the atoms
    when they are far apart compared with ``sigma``)."""
    if gaps * atoms > _MAX_GAP_WORK:
        raise ValueError(
            f"nu has {gaps} gaps between its {atoms} atoms wide enough to open at sigma = {sigma:g}: "
            f"finding the support would take {gaps:,} x {atoms:,} sums, above the limit "
            f"{_MAX_GAP_WORK:.0e}; merge atoms of nu closer than sigma (e.g. into a histogram)"
        )


def _neg(pair):
    val, der = pair[0], pair[1]
    return -val, (None if der is None else -der)
