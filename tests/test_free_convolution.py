"""Tests of rmtlib.free_convolution: closed forms, independent solves (cubic roots, mpmath), Monte Carlo."""

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rmtlib.free_convolution import FreeConvolutionSemicircle
from rmtlib.laws import DiscreteLaw, Semicircle, SquareRootLaw, Uniform

TWO_POINT = DiscreteLaw([-1.0, 0.5, 2.0], [0.2, 0.5, 0.3])


def test_delta0_gives_the_semicircle():
    for sigma in (0.5, 1.0, 3.0):
        mu = FreeConvolutionSemicircle(DiscreteLaw([0.0]), sigma=sigma)
        sc = Semicircle(sigma)
        assert mu.support()[0] == pytest.approx(sc.support()[0], abs=1e-12)
        x = np.linspace(-2.2 * sigma, 2.2 * sigma, 41)
        np.testing.assert_allclose(mu.pdf(x), sc.pdf(x), atol=1e-12)
        np.testing.assert_allclose(mu.cdf(x), sc.cdf(x), atol=1e-12)
        z = x + 0.3j
        np.testing.assert_allclose(mu.stieltjes(z), sc.stieltjes(z), atol=1e-12)
        np.testing.assert_allclose(mu.quantiles(25), sc.quantiles(25), atol=1e-10)


def test_semicircle_nu_and_nesting_give_a_wider_semicircle():
    wide = Semicircle(1.0)
    generic = FreeConvolutionSemicircle(Semicircle(0.6), sigma=0.8)  # generic continuous-law path
    nested = FreeConvolutionSemicircle(FreeConvolutionSemicircle(DiscreteLaw([0.0]), sigma=0.6), sigma=0.8)
    x = np.linspace(-2.1, 2.1, 23)
    for mu in (generic, nested):
        assert mu.support()[0] == pytest.approx((-2.0, 2.0), abs=1e-9)
        np.testing.assert_allclose(mu.pdf(x), wide.pdf(x), atol=1e-9)
    assert nested.sigma == pytest.approx(1.0)


def test_uniform_nu_edge_in_closed_form():
    mu = FreeConvolutionSemicircle(Uniform(-1.0, 1.0), sigma=1.0)
    u = np.sqrt(2.0)  # critical point: (u - 1)(u + 1) = sigma^2
    edge = u + 0.5 * np.log((u + 1) / (u - 1))
    assert mu.support() == [pytest.approx((-edge, edge), abs=1e-12)]
    assert edge == pytest.approx(2.2956, abs=1e-4)
    assert mu.var == pytest.approx(1 / 3 + 1)


def _cubic_density(x, atoms, weights, sigma):
    """Independent solve for a two-atom nu: H(w) = x is a cubic polynomial in w."""
    (a1, a2), (w1, w2) = atoms, weights
    s2 = sigma**2
    p1 = np.poly1d([1.0, -a1])
    p2 = np.poly1d([1.0, -a2])
    poly = np.poly1d([1.0, -x]) * p1 * p2 + s2 * (w1 * p2 + w2 * p1)
    return max(max(r.imag for r in poly.roots), 0.0) / (np.pi * s2)


def test_two_point_nu_against_cubic_roots():
    atoms, weights, sigma = (-1.0, 1.5), (0.3, 0.7), 0.6
    mu = FreeConvolutionSemicircle(DiscreteLaw(atoms, weights), sigma=sigma)
    x = np.linspace(-3, 3.5, 57)
    expected = [_cubic_density(t, atoms, weights, sigma) for t in x]
    np.testing.assert_allclose(mu.pdf(x), expected, atol=1e-9)
    # edges: H'(u) = 0 is a quartic; its real roots map to the edges
    (a1, a2), (w1, w2) = atoms, weights
    quartic = np.poly1d([1, -a1]) ** 2 * np.poly1d([1, -a2]) ** 2 - sigma**2 * (
        w1 * np.poly1d([1, -a2]) ** 2 + w2 * np.poly1d([1, -a1]) ** 2
    )
    u = np.sort([r.real for r in quartic.roots if abs(r.imag) < 1e-12])
    edges = u + sigma**2 * (w1 / (u - a1) + w2 / (u - a2))
    assert len(mu.support()) == 2
    np.testing.assert_allclose(mu.edges(), np.sort(edges), atol=1e-10)
    # masses of the two components are the weights of the atoms
    np.testing.assert_allclose(mu.cdf(mu.edges()[1]), 0.3, atol=1e-12)


def test_against_high_precision_solve():
    """An mpmath solve of Pastur's equation (40 digits) at real and complex points."""
    rng = np.random.default_rng(7)
    atoms = rng.standard_normal(12)
    weights = rng.dirichlet(np.ones(12))
    sigma = 0.5
    mu = FreeConvolutionSemicircle(DiscreteLaw(atoms, weights), sigma=sigma)
    mpmath.mp.dps = 40
    A = [mpmath.mpf(float(a)) for a in atoms]
    Wt = [mpmath.mpf(float(w)) for w in weights]

    def omega(z):
        w = mpmath.mpc(z.real, z.imag + 2.0)

        def residual(o, target):
            return o + sigma**2 * sum(q / (o - a) for a, q in zip(A, Wt, strict=True)) - target

        for eta in [1.0, 0.3, 0.1, 0.03, 0.01, 3e-3, 1e-3, 1e-5, 1e-8, 1e-12, 0.0]:
            target = mpmath.mpc(z.real, z.imag + eta)
            w = mpmath.findroot(lambda o, t=target: residual(o, t), w)
        return w

    lo, hi = mu.support()[0][0], mu.support()[-1][1]
    for x in np.linspace(lo + 0.05, hi - 0.05, 5):
        w = omega(complex(x, 0.0))
        assert float(mu.pdf(x)) == pytest.approx(float(max(w.imag, 0)) / (np.pi * sigma**2), abs=1e-12)
    for z in (0.2 + 0.05j, -1.0 + 0.5j):
        f = (omega(z) - mpmath.mpc(z.real, z.imag)) / sigma**2
        assert complex(mu.stieltjes(z)) == pytest.approx(complex(f), abs=1e-12)
    mpmath.mp.dps = 15


def test_three_atoms_give_three_components():
    mu = FreeConvolutionSemicircle(TWO_POINT, sigma=0.7)
    assert float(mu.pdf(2.65)) == pytest.approx(0.2021, abs=1e-4)
    assert len(mu.support()) == 3
    # each component carries the mass of its atom
    np.testing.assert_allclose(mu.cdf(mu.edges()[1::2]), [0.2, 0.7, 1.0], atol=1e-12)


def test_density_is_zero_outside_and_positive_inside():
    mu = FreeConvolutionSemicircle(DiscreteLaw([-3.0, 3.0]), sigma=1.0)
    (a, b), (c, d) = mu.support()
    assert a == -d and b == -c  # symmetric
    x = np.array([a - 1e-9, 0.5 * (b + c), d + 1e-9])
    np.testing.assert_array_equal(mu.pdf(x), 0.0)
    assert np.all(mu.pdf(np.linspace(a, b, 12)[1:-1]) > 0)
    assert float(mu.cdf(0.0)) == pytest.approx(0.5, abs=1e-14)


def test_subordination_identity():
    mu = FreeConvolutionSemicircle(TWO_POINT, sigma=0.7)
    z = np.array([0.3 + 0.2j, 2.0 + 0.01j, -3.0 + 1j, 4.0 + 0j])
    w = mu.subordination(z)
    np.testing.assert_allclose(mu.stieltjes(z), TWO_POINT.stieltjes(w), atol=1e-12)
    assert np.all(w.imag >= z.imag)


def test_many_atoms_monte_carlo():
    """ESD of W + S against the free convolution with the exact spectrum of S."""
    rng = np.random.default_rng(11)
    N, sigma = 600, 0.8
    s = np.concatenate([rng.uniform(-1.0, 1.0, N - 2), [3.0, -2.5]])
    A = rng.standard_normal((N, N))
    H = sigma * (A + A.T) / np.sqrt(2 * N) + np.diag(s)
    lam = np.linalg.eigvalsh(H)
    mu = FreeConvolutionSemicircle(DiscreteLaw(s), sigma=sigma)
    F = mu.cdf(lam)
    k = np.arange(1, N + 1)
    assert np.max(np.maximum(k / N - F, F - (k - 1) / N)) < 0.008  # observed 0.0047; O(log N / N)
    wrong = Semicircle(np.hypot(sigma, np.sqrt(1 / 3))).cdf(lam)  # moment-matched, not the law
    assert np.max(np.maximum(k / N - wrong, wrong - (k - 1) / N)) > 0.012


def test_large_empirical_nu_is_correct():
    rng = np.random.default_rng(5)
    atoms = rng.standard_normal(3000)
    mu = FreeConvolutionSemicircle(DiscreteLaw(atoms), sigma=0.5)
    x = np.linspace(mu.support()[0][0] - 0.1, mu.support()[-1][1] + 0.1, 400)
    p = mu.pdf(x)
    assert np.all(p >= 0)
    dx = x[1] - x[0]
    assert p.sum() * dx == pytest.approx(1.0, abs=2e-3)
    # residual of Pastur's equation at the computed solution
    inside = p > 0
    w = mu.subordination(x[inside])
    H = w + 0.5**2 * DiscreteLaw(atoms).cauchy(w)
    np.testing.assert_allclose(H, x[inside], atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(
    atoms=st.lists(st.floats(min_value=-5, max_value=5), min_size=1, max_size=30),
    raw_weights=st.lists(st.floats(min_value=0.05, max_value=1.0), min_size=30, max_size=30),
    sigma=st.floats(min_value=0.05, max_value=2.0),
)
def test_random_discrete_nu_components_and_branch(atoms, raw_weights, sigma):
    """Any discrete nu: each support component carries the mass of the atoms it covers,
    the density is positive inside and 0 in the gaps, and omega solves Pastur's equation."""
    weights = np.array(raw_weights[: len(atoms)])
    nu = DiscreteLaw(atoms, weights / weights.sum())
    mu = FreeConvolutionSemicircle(nu, sigma=sigma)
    edges = mu.edges()
    assert np.all(np.diff(edges) > 0)
    F = mu.cdf(edges)
    for (ul, ur), f_a, f_b in zip(mu.critical_points().reshape(-1, 2), F[::2], F[1::2], strict=True):
        covered = nu.weights[(nu.atoms > ul) & (nu.atoms < ur)].sum()
        assert f_b - f_a == pytest.approx(covered, abs=1e-9)
    mids = 0.5 * (edges[:-1] + edges[1:])
    dens = mu.pdf(mids)
    assert np.all(dens[::2] > 0) and np.all(dens[1::2] == 0)
    inside = mids[::2]
    w = mu.subordination(inside)
    assert np.all(w.imag > 0)
    np.testing.assert_allclose(w + sigma**2 * nu.cauchy(w), inside, atol=1e-9 * (1 + np.abs(inside).max()))


def test_continuation_fallback_agrees_with_newton():
    mu = FreeConvolutionSemicircle(TWO_POINT, sigma=0.7)
    x = np.array([0.3, 2.65, -1.2])
    w = mu._omega_by_continuation(x, np.zeros(3))
    np.testing.assert_allclose(w.imag / (np.pi * 0.49), mu.pdf(x), rtol=1e-10)
    w = mu._omega_by_continuation(np.array([0.3]), np.array([0.5]))
    np.testing.assert_allclose((w - (0.3 + 0.5j)) / 0.49, mu.stieltjes([0.3 + 0.5j]), rtol=1e-10)


def test_continuous_nu_with_several_intervals_is_refused():
    two_bumps = SquareRootLaw(FreeConvolutionSemicircle(DiscreteLaw([4.0, 9.0]), sigma=0.3))
    assert len(two_bumps.support()) == 2
    with pytest.raises(NotImplementedError, match="DiscreteLaw of its quantiles"):
        FreeConvolutionSemicircle(two_bumps, sigma=1.0)


# --------------------------------------------------------------- extreme magnitudes
@pytest.mark.parametrize("nu", [DiscreteLaw([0.0]), Uniform(-1.0, 1.0)])
@pytest.mark.parametrize("sigma", [1e300, 1e-300])
def test_a_noise_level_whose_square_leaves_the_float_range_is_refused_with_its_scale(nu, sigma):
    with pytest.raises(ValueError, match=r"sigma = 1e[+-]300 is outside \[1e-100, 1e\+100\]"):
        FreeConvolutionSemicircle(nu, sigma=sigma)


def test_the_largest_accepted_scale_gives_the_semicircle_edge():
    mu = FreeConvolutionSemicircle(DiscreteLaw([0.0]), sigma=1e100)
    assert mu.support()[-1][1] == pytest.approx(2e100, rel=1e-10)


def test_many_quantiles_of_one_component_are_read_off_a_dense_curve_to_1e_8_of_its_width(monkeypatch):
    """Above ``_POLISH_MAX`` quantiles per component, monotone cubic interpolation on a curve of
    ``_CURVE_MAX`` points replaces the Newton polish (linear cost in the atoms); lowered here."""
    import rmtlib.free_convolution as fc

    atoms = np.random.default_rng(6).standard_normal(3000)
    mu = FreeConvolutionSemicircle(DiscreteLaw(atoms), sigma=1.0)
    monkeypatch.setattr(fc, "_POLISH_MAX", 10**9)
    polished = mu.quantiles(3000)
    monkeypatch.setattr(fc, "_POLISH_MAX", 1000)
    read = mu.quantiles(3000)
    width = mu.support()[-1][1] - mu.support()[0][0]
    assert 0 < np.max(np.abs(read - polished)) < 1e-8 * width
    np.testing.assert_allclose(mu.cdf(read[::97]), (np.arange(3000)[::97] + 0.5) / 3000, rtol=0, atol=1e-8)


@pytest.mark.parametrize(
    ("atoms", "sigma"),
    [(np.logspace(-8, 8, 100_000), 1.0), (np.random.default_rng(0).standard_normal(20_000), 1e-12)],
)
def test_a_support_of_too_many_possible_components_is_refused_quickly(atoms, sigma):
    import time

    start = time.perf_counter()
    with pytest.raises(
        ValueError, match=r"nu has \d+ gaps between its \d+ atoms wide enough to open"
    ) as info:
        FreeConvolutionSemicircle(DiscreteLaw(atoms), sigma=sigma)
    assert time.perf_counter() - start < 5.0 and "\n" not in str(info.value)


def test_atoms_over_sixteen_decades_under_the_work_limit_split_into_one_component_per_far_atom():
    n = 1000
    atoms = np.logspace(-8, 8, n)
    mu = FreeConvolutionSemicircle(DiscreteLaw(atoms), sigma=1.0)
    # the top 100 atoms are > 10^3 sigma apart: each carries a component of mass 1/n of its own
    top = np.arange(n - 100, n)
    mid = 0.5 * (atoms[top - 1] + atoms[top])
    np.testing.assert_allclose(mu.cdf(mid), top / n, rtol=0, atol=1e-12)
    assert np.all(mu.pdf(mid) == 0.0)
    assert len(mu.support()) > 100
    np.testing.assert_allclose(mu.quantiles(n)[top], atoms[top], rtol=1e-6)
