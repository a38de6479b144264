"""Narrow gaps of the support, just above the threshold where they open.

The support edges of the laws are the values of the subordination map at its real critical
points. For a two-atom signal the critical points are the real roots of a polynomial, solved
here with numpy independently of the library: a quartic for the free convolution with the
semicircle (``H'(u) = 0``), a sextic for the information-plus-noise law (``Z'(u) = 0``). Cases are
built a relative distance ``eps`` above the threshold, so the gap's relative width is
``~ eps^(3/2)``, down to 1e-9.
"""

import numpy as np
import pytest
from numpy.polynomial import Polynomial as P
from scipy import optimize

from rmtlib.free_convolution import FreeConvolutionSemicircle
from rmtlib.information_plus_noise import InformationPlusNoise
from rmtlib.laws import DiscreteLaw


def _polished_real_roots(poly, lo, hi):
    """Real roots of ``poly`` in ``(lo, hi)``, polished by Newton steps on the polynomial."""
    d = poly.deriv()
    out = []
    for r in poly.roots():
        if abs(r.imag) > 1e-6 * (1 + abs(r.real)):
            continue
        x = r.real
        for _ in range(8):
            x -= poly(x) / d(x)
        if lo < x < hi:
            out.append(x)
    return np.sort(out)


# ------------------------------------------------------------ the reproduction
def test_the_gap_just_above_the_threshold_of_the_rectangular_law_is_found():
    s = 1.7777
    law = InformationPlusNoise(DiscreteLaw([0, s**2], [0.9, 0.1]), gamma=0.5, sigma=np.sqrt(2))
    sup = law.support()
    assert len(sup) == 2
    np.testing.assert_allclose([sup[0][1], sup[1][0]], [5.08919921, 5.08922206], rtol=0, atol=2e-8)
    mid = 0.5 * (sup[0][1] + sup[1][0])
    assert law.pdf(mid) == 0.0
    # the mass left of the gap is the weight of the atom at 0
    np.testing.assert_allclose(law.cdf(mid), 0.9, rtol=0, atol=1e-9)


# ------------------------------------------------------------ square: quartic
def _square_case(p, b, eps):
    """``nu = p delta_0 + (1 - p) delta_b`` with ``sigma^2 = (1 - eps) sigma_*^2``, where
    ``sigma_*^2 = b^2 / (p^(1/3) + (1 - p)^(1/3))^3`` closes the gap."""
    s2 = (1 - eps) * b**2 / (np.cbrt(p) + np.cbrt(1 - p)) ** 3
    return DiscreteLaw([0.0, b], [p, 1 - p]), s2


def _square_gap_by_quartic(p, b, s2):
    u = P([0.0, 1.0])
    quartic = u**2 * (u - b) ** 2 - s2 * (p * (u - b) ** 2 + (1 - p) * u**2)
    roots = _polished_real_roots(quartic, 0.0, b)
    assert roots.size == 2
    h = roots + s2 * (p / roots + (1 - p) / (roots - b))
    return h


@pytest.mark.parametrize("p", [0.5, 0.8, 0.1])
@pytest.mark.parametrize("eps", [1e-2, 1e-4, 1e-6])
def test_square_free_convolution_gap_against_the_quartic(p, eps):
    b = 3.0
    nu, s2 = _square_case(p, b, eps)
    mu = FreeConvolutionSemicircle(nu, float(np.sqrt(s2)))
    sup = mu.support()
    assert len(sup) == 2
    gap = np.array([sup[0][1], sup[1][0]])
    expected = _square_gap_by_quartic(p, b, s2)
    width = expected[1] - expected[0]
    assert 0 < width / b < 10 * eps**1.5
    np.testing.assert_allclose(gap, expected, rtol=0, atol=1e-13 * b)
    np.testing.assert_allclose(gap[1] - gap[0], width, rtol=1e-4)


def test_square_free_convolution_has_no_gap_just_below_the_threshold():
    nu, s2 = _square_case(0.3, 3.0, -1e-6)
    assert len(FreeConvolutionSemicircle(nu, float(np.sqrt(s2))).support()) == 1


# ------------------------------------------------------------ rectangular: sextic
def _rect_constants(gamma, sigma):
    s2 = sigma**2 * min(gamma, 1.0)
    return s2, s2 * (max(gamma, 1.0 / gamma) - 1.0)


def _rect_zprime_poly(p, b, s2, c):
    """``Z'(u) (-u)^3 (b - u)^3`` for ``H = p delta_0 + (1 - p) delta_b``, a polynomial of degree 6."""
    u = P([0.0, 1.0])
    d = (-u) * (b - u)
    n1 = d - s2 * (p * (b - u) + (1 - p) * (-u))
    n2 = p * (b - u) ** 2 + (1 - p) * u**2
    return n1**2 * d - 2 * u * s2 * n1 * n2 - c * s2 * n2 * d


def _rect_z(u, p, b, s2, c):
    q = 1 - s2 * (p / (0.0 - u) + (1 - p) / (b - u))
    return u * q * q + c * q, q


def _rect_threshold(p, gamma, sigma, b0):
    """The atom ``b`` at which the gap opens: where the least value of the sextic on ``(0, b)``
    (``q > 0``; the sextic has the sign of ``-Z'`` there) crosses 0, by Brent's method."""
    s2, c = _rect_constants(gamma, sigma)

    def least(b):
        poly = _rect_zprime_poly(p, b, s2, c)
        crit = _polished_real_roots(poly.deriv(), 0.0, b)
        crit = crit[_rect_z(crit, p, b, s2, c)[1] > 0]
        return min(poly(crit)) / b**6

    lo, hi = 0.5 * b0, 2.0 * b0
    assert least(lo) > 0 > least(hi)
    return optimize.brentq(least, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps)


def _rect_gap_by_sextic(p, b, gamma, sigma):
    s2, c = _rect_constants(gamma, sigma)
    roots = _polished_real_roots(_rect_zprime_poly(p, b, s2, c), 0.0, b)
    z, q = _rect_z(roots, p, b, s2, c)
    roots, z = roots[q > 0], z[q > 0]
    assert roots.size == 2
    return np.sort(z)


@pytest.mark.parametrize(("p", "gamma", "sigma", "b0"), [(0.9, 0.5, np.sqrt(2), 3.16), (0.5, 2.0, 1.0, 4.0)])
@pytest.mark.parametrize("eps", [1e-2, 1e-4, 1e-6])
def test_rectangular_gap_against_the_sextic(p, gamma, sigma, b0, eps):
    b_star = _rect_threshold(p, gamma, sigma, b0)
    b = b_star * (1 + eps)
    law = InformationPlusNoise(DiscreteLaw([0.0, b], [p, 1 - p]), gamma=gamma, sigma=sigma)
    sup = law.support()
    assert len(sup) == 2
    gap = np.array([sup[0][1], sup[1][0]])
    expected = _rect_gap_by_sextic(p, b, gamma, sigma)
    width = expected[1] - expected[0]
    assert 0 < width / expected[0] < 10 * eps**1.5
    np.testing.assert_allclose(gap, expected, rtol=1e-13)
    np.testing.assert_allclose(gap[1] - gap[0], width, rtol=1e-4)
    # just below the threshold the support is one interval
    below = InformationPlusNoise(DiscreteLaw([0.0, b_star * (1 - eps)], [p, 1 - p]), gamma=gamma, sigma=sigma)
    assert len(below.support()) == 1


# ------------------------------------------------------------ gaps much wider than the noise
def test_a_gap_far_wider_than_the_noise_against_the_sextic():
    """``H = (delta_0 + delta_b) / 2`` with ``b = 10^4 sigma^2``: the critical points sit within
    ``~sigma^2`` of the atoms, far below the step of a grid spread over the gap."""
    p, b, gamma, sigma = 0.5, 1e4, 1.5, 1.0
    law = InformationPlusNoise(DiscreteLaw([0.0, b], [p, 1 - p]), gamma=gamma, sigma=sigma)
    s2, c = _rect_constants(gamma, sigma)
    crit = _polished_real_roots(_rect_zprime_poly(p, b, s2, c), -np.inf, np.inf)
    crit = crit[(np.abs(crit) > 1e-9) & (np.abs(crit - b) > 1e-9 * b)]  # roots of the factor at the atoms
    z, q = _rect_z(crit, p, b, s2, c)
    edges = np.sort(z[q > 0])
    assert edges.size == 4
    np.testing.assert_allclose(law.edges(), edges, rtol=1e-12)
    np.testing.assert_allclose(law.cdf(edges[1]), 0.5, rtol=1e-12)
    # the lower component moves by O(sigma^2 / b): not between b = 10^12 and 10^20 sigma^2
    near, far = (
        InformationPlusNoise(DiscreteLaw([0.0, top], [p, 1 - p]), gamma=gamma, sigma=sigma)
        for top in (1e12, 1e20)
    )
    np.testing.assert_allclose(far.support()[0], near.support()[0], rtol=1e-10)
    np.testing.assert_allclose(far.icdf([0.1, 0.25, 0.4]), near.icdf([0.1, 0.25, 0.4]), rtol=1e-9)
    np.testing.assert_allclose(near.support()[0], law.support()[0], rtol=1e-4)
