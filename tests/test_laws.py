"""Tests of rmtlib.laws: closed forms, an independent high-precision solve, Monte Carlo, the law contract."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate

from rmtlib.free_convolution import FreeConvolutionSemicircle
from rmtlib.information_plus_noise import InformationPlusNoise
from rmtlib.laws import (
    DiscreteLaw,
    Law,
    MarchenkoPastur,
    Semicircle,
    SquareRootLaw,
    Uniform,
)

TWO_POINT = DiscreteLaw([-1.0, 0.5, 2.0], [0.2, 0.5, 0.3])

# One table of parameter sets drives the generic law-contract tests below.
LAWS = {
    "semicircle": Semicircle(sigma=0.7),
    "mp_tall": MarchenkoPastur(gamma=0.3, sigma=1.2),
    "mp_square": MarchenkoPastur(gamma=1.0, sigma=1.0),
    "mp_wide": MarchenkoPastur(gamma=2.5, sigma=0.8),
    "mp_singular_values": MarchenkoPastur(gamma=0.5, sigma=1.0).singular_values(),
    "uniform": Uniform(low=-1.0, high=2.0),
    "fc_delta0": FreeConvolutionSemicircle(DiscreteLaw([0.0]), sigma=1.0),
    "fc_three_atoms": FreeConvolutionSemicircle(TWO_POINT, sigma=0.7),
    "fc_split": FreeConvolutionSemicircle(DiscreteLaw([-3.0, 3.0]), sigma=1.0),
    "fc_uniform": FreeConvolutionSemicircle(Uniform(-1.0, 1.0), sigma=1.0),
    "fc_semicircle": FreeConvolutionSemicircle(Semicircle(0.6), sigma=0.8),
    "fc_mp": FreeConvolutionSemicircle(MarchenkoPastur(0.5), sigma=0.3),
    "ipn_wide_spike": InformationPlusNoise(DiscreteLaw([0.0, 9.0], [0.9, 0.1]), gamma=2.0, sigma=1.0),
    "ipn_tall_three_atoms": InformationPlusNoise(
        DiscreteLaw([0.5, 2.0, 6.0], [0.5, 0.3, 0.2]), gamma=0.4, sigma=0.8
    ),
    "ipn_square": InformationPlusNoise(DiscreteLaw([3.0, 6.0]), gamma=1.0, sigma=0.5),
    "ipn_singular_values": InformationPlusNoise(
        DiscreteLaw([0.0, 9.0], [0.9, 0.1]), gamma=2.0, sigma=1.0
    ).singular_values(),
    "sqrt_uniform": SquareRootLaw(Uniform(1.0, 4.0)),
}
# Laws without a density (atoms): the contract that does not need one.
DISCRETE_LAWS = {
    "one_atom": DiscreteLaw([0.0]),
    "three_atoms": TWO_POINT,
    "empirical": DiscreteLaw(np.random.default_rng(0).standard_normal(200)),
}
CONTRACT = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(24)


def _integrate(law, g, *, intervals=None, panels=24):
    """``∫ g(x) dmu(x)`` over ``intervals`` (default: the support): composite Gauss-Legendre
    in the angle variable ``x = a + (b - a)(1 - cos t)/2``, one vectorized ``pdf`` call."""
    edges = np.linspace(0, np.pi, panels + 1)
    t = (0.5 * (edges[1:] - edges[:-1])[:, None] * (_NODES + 1) + edges[:-1, None]).ravel()
    w = (0.5 * (edges[1:] - edges[:-1])[:, None] * _WEIGHTS).ravel()
    xs, ws = [], []
    for a, b in intervals or law.support():
        xs.append(a + 0.5 * (b - a) * (1 - np.cos(t)))
        ws.append(w * 0.5 * (b - a) * np.sin(t))
    x, w = np.concatenate(xs), np.concatenate(ws)
    return np.sum(w * law.pdf(x) * g(x), axis=-1)


def _inner_points(law, n=7):
    """Points strictly inside each support interval."""
    t = (np.arange(n) + 0.5) / n
    return np.concatenate([a + (b - a) * t for a, b in law.support()])


# ---------------------------------------------------------------- the law contract
@pytest.mark.parametrize("name", LAWS)
def test_density_nonnegative_and_integrates_to_one(name):
    law = LAWS[name]
    assert _integrate(law, np.ones_like) == pytest.approx(1.0, abs=1e-6)
    lo, hi = law.support()[0][0], law.support()[-1][1]
    x = np.linspace(lo - 1, hi + 1, 301)
    assert np.all(law.pdf(x) >= 0)
    assert law.pdf(lo - 0.5) == 0.0 and law.pdf(hi + 0.5) == 0.0


@pytest.mark.parametrize("name", LAWS)
def test_cdf_monotone_and_matches_integrated_density(name):
    law = LAWS[name]
    lo, hi = law.support()[0][0], law.support()[-1][1]
    x = np.linspace(lo - 0.5, hi + 0.5, 401)
    F = law.cdf(x)
    assert np.all(np.diff(F) >= -1e-13)
    assert F[0] == 0.0 and F[-1] == pytest.approx(1.0, abs=1e-12)
    a, b = law.support()[0]
    mid = 0.5 * (a + b)
    expected = _integrate(law, np.ones_like, intervals=[(a, mid)])
    assert float(law.cdf(mid)) == pytest.approx(expected, abs=1e-7)


@pytest.mark.parametrize("name", LAWS)
@CONTRACT
@given(p=st.floats(min_value=1e-6, max_value=1 - 1e-6))
def test_icdf_inverts_cdf(name, p):
    law = LAWS[name]
    x = float(law.icdf(p))
    assert float(law.cdf(x)) == pytest.approx(p, abs=1e-9)


@pytest.mark.parametrize("name", LAWS)
def test_cdf_of_icdf_and_quantiles(name):
    law = LAWS[name]
    x = _inner_points(law)
    np.testing.assert_allclose(law.icdf(law.cdf(x)), x, atol=1e-8)
    q = law.quantiles(50)
    assert np.all(np.diff(q) > 0)
    np.testing.assert_allclose(law.cdf(q), (np.arange(50) + 0.5) / 50, atol=1e-10)


@pytest.mark.parametrize("name", LAWS)
@CONTRACT
@given(re=st.floats(min_value=-6, max_value=6), im=st.floats(min_value=1e-3, max_value=10))
def test_stieltjes_maps_upper_half_plane_into_itself(name, re, im):
    law = LAWS[name]
    f = complex(law.stieltjes(complex(re, im)))
    assert f.imag > 0
    assert complex(law.stieltjes(complex(re, -im))) == pytest.approx(f.conjugate(), rel=1e-12)
    assert complex(law.cauchy(complex(re, im))) == pytest.approx(-f, rel=1e-12)


@pytest.mark.parametrize("name", LAWS)
def test_stieltjes_matches_quadrature_of_density(name):
    law = LAWS[name]
    z = np.array([0.3 + 0.5j, 2.0 + 1.0j, -1.0 + 0.2j])
    expected = _integrate(law, lambda x: 1.0 / (x[None, :] - z[:, None]))
    np.testing.assert_allclose(law.stieltjes(z), expected, atol=1e-7)


@pytest.mark.parametrize("name", LAWS)
def test_mean_and_variance(name):
    law = LAWS[name]
    mean = _integrate(law, lambda x: x)
    assert law.mean == pytest.approx(mean, abs=1e-7)
    assert law.var == pytest.approx(_integrate(law, lambda x: (x - mean) ** 2), abs=1e-7)


@pytest.mark.parametrize("name", DISCRETE_LAWS)
def test_discrete_laws_keep_the_contract_without_a_density(name):
    law = DISCRETE_LAWS[name]
    atoms, weights = law.atoms, law.weights
    F = law.cdf(atoms)
    np.testing.assert_allclose(F, np.cumsum(weights), rtol=0, atol=1e-14)
    assert law.cdf(atoms[0] - 1.0) == 0.0 and law.cdf(atoms[-1]) == pytest.approx(1.0, abs=1e-14)
    np.testing.assert_array_equal(law.icdf(F), atoms)  # inf{x : cdf(x) >= p}
    p = np.linspace(0.01, 0.99, 37)
    assert np.all(law.cdf(law.icdf(p)) >= p - 1e-14)
    z = np.array([0.3 + 0.5j, 2.0 + 1.0j, -1.0 - 0.2j])
    expected = (weights[None, :] / (atoms[None, :] - z[:, None])).sum(axis=1)
    np.testing.assert_allclose(law.stieltjes(z), expected, rtol=1e-12)
    assert np.all(law.stieltjes(z[:2]).imag > 0)
    assert law.mean == pytest.approx(weights @ atoms, abs=1e-14)
    assert law.var == pytest.approx(weights @ (atoms - weights @ atoms) ** 2, abs=1e-12)
    with pytest.raises(TypeError, match="DiscreteLaw has no density"):
        law.pdf(0.0)


@pytest.mark.parametrize("law", [*LAWS.values(), *DISCRETE_LAWS.values()], ids=[*LAWS, *DISCRETE_LAWS])
def test_every_law_validates_through_one_dispatch_point(law):
    """The public methods are the base class's: a subclass defines only the private ones."""
    for method in ("pdf", "cdf", "icdf"):
        assert getattr(type(law), method) is getattr(Law, method)
    with pytest.raises(ValueError, match="p must lie in"):
        law.icdf(1.5)
    with pytest.raises(ValueError, match="x must contain only finite values"):
        law.cdf(np.nan)
    assert np.shape(law.cdf(np.zeros((2, 3)))) == (2, 3)
    assert np.ndim(law.icdf(0.5)) == 0


def test_laws_are_frozen():
    law = Semicircle(sigma=1.0)
    with pytest.raises(AttributeError, match="frozen"):
        law.sigma = 2.0
    assert "sigma=1.0" in repr(law)


# ---------------------------------------------------------------- closed forms
def test_semicircle_closed_forms():
    law = Semicircle(sigma=2.0)
    assert law.support() == [(-4.0, 4.0)]
    assert float(law.pdf(0.0)) == pytest.approx(1 / (2 * np.pi))
    assert float(law.cdf(2.0)) == pytest.approx(0.5 + (np.sqrt(3) / 4 + np.pi / 6) / np.pi)
    z = np.array([0.3 + 0.1j, -5.0 + 2j, 7.0 + 0j, -4.5 + 0j])
    f = law.stieltjes(z)
    np.testing.assert_allclose(4 * f**2 + z * f + 1, 0, atol=1e-12)
    assert f[2].real == pytest.approx((-7 + np.sqrt(49 - 16)) / 8)
    # boundary value on the support: Im f(x + i0) = pi * density
    assert float(law.stieltjes(1.0).imag) == pytest.approx(np.pi * float(law.pdf(1.0)))
    assert float(law.stieltjes_derivative(5.0).real) == pytest.approx(
        integrate.quad(lambda x: float(law.pdf(x)) / (5 - x) ** 2, -4, 4)[0], rel=1e-9
    )


def test_marchenko_pastur_edges_and_moments():
    for gamma, sigma in [(0.25, 1.0), (4.0, 0.5), (1.0, 2.0)]:
        law = MarchenkoPastur(gamma=gamma, sigma=sigma)
        a, b = law.support()[0]
        assert a == pytest.approx(sigma**2 * (1 - np.sqrt(gamma)) ** 2)
        assert b == pytest.approx(sigma**2 * (1 + np.sqrt(gamma)) ** 2)
        assert law.mean == pytest.approx(sigma**2 * max(gamma, 1.0))
        sv = law.singular_values()
        root = np.sqrt(gamma)
        assert sv.support()[0] == pytest.approx((sigma * abs(1 - root), sigma * (1 + root)))
        s = np.linspace(*sv.support()[0], 9)[1:-1]
        np.testing.assert_allclose(sv.cdf(s), law.cdf(s**2), atol=1e-14)
        np.testing.assert_allclose(sv.icdf(law.cdf(s**2)), s, atol=1e-9)


def test_marchenko_pastur_monte_carlo():
    rng = np.random.default_rng(3)
    N, M, sigma = 400, 200, 1.3
    W = sigma * rng.standard_normal((N, M)) / np.sqrt(N)
    lam = np.sort(np.linalg.svd(W, compute_uv=False) ** 2)
    law = MarchenkoPastur(gamma=M / N, sigma=sigma)
    F = law.cdf(lam)
    k = np.arange(1, lam.size + 1)
    ks = np.max(np.maximum(k / lam.size - F, F - (k - 1) / lam.size))
    assert ks < 0.03  # fluctuations of the ESD are O(log N / N)
    assert lam[-1] == pytest.approx(law.support()[0][1], abs=0.3)  # 4.925; TW scale ~ N^(-2/3)
    assert lam[0] == pytest.approx(law.support()[0][0], abs=0.1)


def test_uniform_closed_forms():
    law = Uniform(low=-1.0, high=1.0)
    assert float(law.cauchy(3.0).real) == pytest.approx(0.5 * np.log(2))
    assert float(law.stieltjes_derivative(3.0).real) == pytest.approx(1 / 8)
    assert float(law.stieltjes(0.5).imag) == pytest.approx(np.pi / 2)


def test_discrete_law():
    law = DiscreteLaw([2.0, -1.0, 2.0, 0.0], [0.1, 0.2, 0.3, 0.4])
    np.testing.assert_array_equal(law.atoms, [-1.0, 0.0, 2.0])
    np.testing.assert_allclose(law.weights, [0.2, 0.4, 0.4])
    np.testing.assert_allclose(law.cdf([-2.0, -1.0, 1.0, 2.0]), [0.0, 0.2, 0.6, 1.0])
    np.testing.assert_array_equal(law.icdf([0.1, 0.2, 0.21, 0.9]), [-1.0, -1.0, 0.0, 2.0])
    np.testing.assert_array_equal(DiscreteLaw([3.0, 1.0, 2.0]).quantiles(3), [1.0, 2.0, 3.0])
    direct = 0.2 / (-1 - 1j) + 0.4 / (0 - 1j) + 0.4 / (2 - 1j)
    assert complex(law.stieltjes(1j)) == pytest.approx(direct)
    assert law.mean == pytest.approx(0.6)
    with pytest.raises(ValueError, match="infinite at its atoms"):
        law.stieltjes(0.0)
    with pytest.raises(TypeError, match="no density"):
        law.pdf(0.0)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Semicircle(sigma=0.0), ValueError, "sigma must be > 0"),
        (lambda: Semicircle(sigma=float("nan")), ValueError, "sigma must be finite"),
        (lambda: MarchenkoPastur(gamma=-1.0), ValueError, "gamma must be > 0"),
        (lambda: Uniform(low=1.0, high=1.0), ValueError, "high must be > low"),
        (lambda: DiscreteLaw([]), ValueError, "atoms must have at least 1"),
        (lambda: DiscreteLaw([0.0, np.nan]), ValueError, "atoms must contain only finite"),
        (lambda: DiscreteLaw([0.0, 1.0], [0.5, 0.6]), ValueError, "weights must sum to 1"),
        (lambda: DiscreteLaw([0.0, 1.0], [1.5, -0.5]), ValueError, "weights must be nonnegative"),
        (lambda: FreeConvolutionSemicircle([0.0, 1.0], sigma=1.0), TypeError, "nu must be a Law"),
        (lambda: FreeConvolutionSemicircle(DiscreteLaw([0.0]), sigma=-1.0), ValueError, "sigma must be > 0"),
        (lambda: SquareRootLaw(Uniform(-1.0, 1.0)), ValueError, "law on \\[0, inf\\)"),
        (lambda: Semicircle(1.0).icdf(1.5), ValueError, "p must lie in \\[0, 1\\]"),
        (lambda: Semicircle(1.0).quantiles(0), ValueError, "n must be >= 1"),
        (lambda: Semicircle(1.0).pdf([0.0, np.inf]), ValueError, "x must contain only finite"),
        (lambda: Semicircle(1.0).stieltjes(np.nan), ValueError, "z must contain only finite"),
        (lambda: Semicircle(1.0).cdf("abc"), TypeError, "x must be an array of numbers"),
    ],
)
def test_bad_input(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_law_base_is_abstract():
    with pytest.raises(NotImplementedError):
        Law().support()


# --------------------------------------------------------------- extreme magnitudes
@pytest.mark.parametrize(
    "make",
    [
        lambda: Semicircle(1e300),
        lambda: Semicircle(1e-300),
        lambda: MarchenkoPastur(gamma=0.5, sigma=1e300),
    ],
)
def test_a_noise_level_whose_square_leaves_the_float_range_is_refused_with_its_scale(make):
    with pytest.raises(ValueError, match=r"sigma = 1e[+-]300 is outside \[1e-100, 1e\+100\]"):
        make()


def test_laws_at_the_largest_accepted_scale_are_exact():
    law = Semicircle(1e100)
    assert law.support() == [(-2e100, 2e100)]
    assert float(law.cdf(1e100)) == pytest.approx(Semicircle(1.0).cdf(1.0), rel=1e-14)
    assert law.var == pytest.approx(1e200, rel=1e-14)
