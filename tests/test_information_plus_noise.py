"""Tests of rmtlib.information_plus_noise: Marchenko-Pastur, the square case as a free convolution,
Benaych-Georges--Nadakuditi, an mpmath solve of Dozier-Silverstein's equation, Monte Carlo, bad input."""

import mpmath
import numpy as np
import pytest
from scipy import integrate

from rmtlib.free_convolution import FreeConvolutionSemicircle
from rmtlib.information_plus_noise import InformationPlusNoise
from rmtlib.laws import DiscreteLaw, MarchenkoPastur
from rmtlib.outliers import (
    predict_singular_outliers,
    predict_singular_outliers_over_bulk,
    rectangular_deterministic_equivalent,
)


def _power_law_bulk(n, rng, scale=0.5):
    return np.sort(scale * rng.pareto(4.0, n))


# ---------------------------------------------------------------- closed forms
@pytest.mark.parametrize("gamma", [0.25, 0.5, 1.0, 2.0, 4.0])
def test_zero_signal_is_marchenko_pastur(gamma):
    sigma = 1.3
    law = InformationPlusNoise(DiscreteLaw([0.0]), gamma=gamma, sigma=sigma)
    mp = MarchenkoPastur(gamma, sigma)
    np.testing.assert_allclose(law.support(), [mp.edges], rtol=1e-10, atol=1e-12)
    x = np.linspace(*mp.edges, 9)[1:-1]
    np.testing.assert_allclose(law.pdf(x), mp.pdf(x), rtol=1e-10)
    np.testing.assert_allclose(law.cdf(x), mp.cdf(x), atol=1e-12)
    p = np.array([0.01, 0.3, 0.5, 0.97])
    np.testing.assert_allclose(law.icdf(p), mp.icdf(p), rtol=1e-9)
    assert law.mean == pytest.approx(mp.mean, rel=1e-12)


def test_square_case_is_the_free_convolution_of_the_symmetrized_law():
    """Benaych-Georges (2009): for gamma = 1 the symmetrized singular values of R/sqrt(N) + S
    follow sc(sigma) ⊞ (symmetrized singular values of S), solved by FreeConvolutionSemicircle."""
    rng = np.random.default_rng(1)
    n, sigma = 300, 0.8
    s = np.concatenate([rng.uniform(0, 1.5, n - 5), [2.5, 2.6, 3.0, 4.0, 6.0]])
    de = rectangular_deterministic_equivalent(s, sigma, (n, n))
    sym = FreeConvolutionSemicircle(DiscreteLaw(np.r_[s, -s]), sigma)
    expected = sym.icdf(0.5 + 0.5 * (np.arange(n) + 0.5) / n)
    # outliers and edges are polished by Newton; the bulk is read off a dense curve
    np.testing.assert_allclose(de.singular_values[-5:], expected[-5:], atol=1e-10)
    np.testing.assert_allclose(de.singular_values[:5], expected[:5], atol=1e-10)
    np.testing.assert_allclose(de.singular_values, expected, atol=1e-5)
    right = [ab for ab in sym.support() if ab[1] > 0]
    np.testing.assert_allclose(np.maximum(np.array(right), 0.0), de.support, atol=1e-10)
    x = np.linspace(0.1, 2.2, 7)
    np.testing.assert_allclose(de.density(x), 2 * sym.pdf(x), rtol=1e-9)


def test_transpose_rescales_sigma():
    """W^T = R^T / sqrt(N) + S^T is M x N with noise scaled by sqrt(M / N) in our convention."""
    rng = np.random.default_rng(2)
    s = np.r_[_power_law_bulk(117, rng), 3.0, 4.5, 5.0]
    a = rectangular_deterministic_equivalent(s, 1.1, (120, 300))
    b = rectangular_deterministic_equivalent(s, 1.1 * np.sqrt(300 / 120), (300, 120))
    np.testing.assert_allclose(a.singular_values, b.singular_values, rtol=1e-10)


def test_finite_rank_signal_is_bgn():
    gamma, sigma, spikes = 2.0, 1.0, np.array([1.5, 2.5, 4.0])
    bgn = predict_singular_outliers(spikes, gamma=gamma, sigma=sigma)
    over = predict_singular_outliers_over_bulk(spikes, np.zeros(4000), sigma=sigma, shape=(4000, 8000))
    np.testing.assert_allclose(over.rho, bgn.rho, rtol=1e-9)
    np.testing.assert_allclose(over.overlap_left, bgn.overlap_left, rtol=1e-8)
    np.testing.assert_allclose(over.overlap_right, bgn.overlap_right, rtol=1e-8)
    assert over.threshold == pytest.approx(bgn.threshold, rel=1e-6)
    # the deterministic equivalent of the whole spectrum puts the outliers there, up to O(1/N)
    N = 4000
    de = rectangular_deterministic_equivalent(np.r_[np.zeros(N - 3), spikes], sigma, (N, int(gamma * N)))
    np.testing.assert_allclose(de.largest(3), bgn.rho[::-1], atol=5.0 / N)
    assert de.support[0][1] == pytest.approx(sigma * (1 + np.sqrt(gamma)), abs=10.0 / N)


def test_first_order_over_a_bulk_agrees_with_the_deterministic_equivalent():
    """rho^2 = Z_bulk(s^2) (the outlier in front of the bulk) against the deterministic equivalent
    of the whole spectrum (O(1/N) apart for separated outliers), the overlaps against the residue
    computed by differences, and not the D-transform of the bulk's law (the outlier's singular
    vectors are in the null space of the bulk, not in generic position)."""
    rng = np.random.default_rng(3)
    N, M, sigma = 500, 1500, 0.9
    bulk = _power_law_bulk(N - 3, rng)
    spikes = np.array([3.0, 3.5, 5.0])
    p = predict_singular_outliers_over_bulk(spikes, bulk, sigma=sigma, shape=(N, M))
    de = rectangular_deterministic_equivalent(np.r_[bulk, spikes], sigma, (N, M))
    np.testing.assert_allclose(p.rho, de.largest(3)[::-1], atol=3.0 / N)
    law = InformationPlusNoise(DiscreteLaw(bulk**2), gamma=M / N, sigma=sigma)
    np.testing.assert_allclose(p.rho**2, law.subordination_inverse(spikes**2), rtol=1e-12)
    # left overlap = Z'(t) / q(t): q from its definition, Z' by central differences
    t, h = spikes**2, 1e-5
    zp = (law.subordination_inverse(t + h) - law.subordination_inverse(t - h)) / (2 * h)
    q = 1 + sigma**2 * np.mean(1.0 / (t[:, None] - bulk[None, :] ** 2), axis=1)
    np.testing.assert_allclose(p.overlap_left, zp / q, rtol=1e-7)
    np.testing.assert_allclose(p.overlap_right, t * q * zp / p.rho**2, rtol=1e-7)
    generic = predict_singular_outliers(
        spikes, gamma=M / N, sigma=sigma, method="d_transform", noise_law=law.singular_values()
    )
    assert np.min(np.abs(generic.rho - de.largest(3)[::-1])) > 4.0 / N  # rejected by the equivalent
    # transposed shape: left and right swap
    pt = predict_singular_outliers_over_bulk(spikes, bulk, sigma=sigma * np.sqrt(M / N), shape=(M, N))
    np.testing.assert_allclose(pt.rho, p.rho, rtol=1e-12)
    np.testing.assert_allclose(pt.overlap_left, p.overlap_right, rtol=1e-12)


# ---------------------------------------------------------------- an independent solve
def _mp_solve(atoms, weights, gamma, sigma, z):
    """Dozier-Silverstein's equation for m(z), 30 digits, by continuation from Im z = 3."""
    mpmath.mp.dps = 30
    T = [mpmath.mpf(float(a)) for a in atoms]
    Wt = [mpmath.mpf(float(w)) for w in weights]
    s2, c = mpmath.mpf(sigma) ** 2, mpmath.mpf(sigma) ** 2 * (mpmath.mpf(gamma) - 1)

    def residual(m, zz):
        a = 1 + s2 * m
        return m - sum(w / (t / a - a * zz + c) for t, w in zip(T, Wt, strict=True))

    m = -1 / mpmath.mpc(z.real, z.imag + 3)
    for eta in [3 * 0.7**k for k in range(80)] + [0]:
        zz = mpmath.mpc(z.real, z.imag + eta)
        m = mpmath.findroot(lambda mm, zz=zz: residual(mm, zz), m)
    mpmath.mp.dps = 15
    return complex(m)


def test_against_an_mpmath_solve():
    atoms, weights = np.array([0.0, 0.5, 1.0, 6.0, 9.0]), np.array([0.3, 0.3, 0.2, 0.1, 0.1])
    gamma, sigma = 1.7, 0.6
    law = InformationPlusNoise(DiscreteLaw(atoms, weights), gamma=gamma, sigma=sigma)
    pts = [0.5 * (a + b) for a, b in law.support()] + [law.support()[0][0] + 0.05]
    for x in pts:
        m = _mp_solve(atoms, weights, gamma, sigma, complex(x, 0))
        assert float(law.pdf(x)) == pytest.approx(m.imag / np.pi, rel=1e-9)
    z = 2.0 + 0.7j
    assert complex(law.stieltjes(z)) == pytest.approx(_mp_solve(atoms, weights, gamma, sigma, z), rel=1e-9)
    x_out = law.support()[-1][1] + 1.0  # real axis right of the support
    assert complex(law.stieltjes(x_out)) == pytest.approx(
        _mp_solve(atoms, weights, gamma, sigma, complex(x_out)), rel=1e-9
    )


def test_cdf_is_the_integral_of_the_density_and_icdf_inverts_it():
    atoms, weights = np.array([0.0, 0.5, 1.0, 6.0, 9.0]), np.array([0.3, 0.3, 0.2, 0.1, 0.1])
    law = InformationPlusNoise(DiscreteLaw(atoms, weights), gamma=3.0, sigma=0.5)
    assert len(law.support()) == 3
    mass = sum(integrate.quad(lambda x: float(law.pdf(x)), a, b, limit=200)[0] for a, b in law.support())
    assert mass == pytest.approx(1.0, abs=1e-7)
    a, b = law.support()[1]
    for x in np.linspace(a, b, 5)[1:-1]:
        quad = integrate.quad(lambda y: float(law.pdf(y)), a, x, limit=200)[0]
        assert float(law.cdf(x)) == pytest.approx(float(law.cdf(a)) + quad, abs=1e-8)
    p = np.array([0.05, 0.4, 0.65, 0.75, 0.85, 0.95])
    np.testing.assert_allclose(law.cdf(law.icdf(p)), p, atol=1e-9)
    assert float(law.cdf(a)) == pytest.approx(0.8, abs=1e-12)  # the mass of H left of the gap


def test_bulk_is_read_off_a_dense_curve_to_the_same_numbers():
    import rmtlib.information_plus_noise as ipn

    rng = np.random.default_rng(4)
    s = np.r_[_power_law_bulk(597, rng), 4.0, 4.1, 6.0]
    de = rectangular_deterministic_equivalent(s, 1.0, (600, 900))
    fast = de.singular_values
    old = ipn._POLISH_MAX
    try:
        ipn._POLISH_MAX = 10**9
        polished = rectangular_deterministic_equivalent(s, 1.0, (600, 900)).singular_values
    finally:
        ipn._POLISH_MAX = old
    np.testing.assert_allclose(fast, polished, atol=1e-6)


# ---------------------------------------------------------------- Monte Carlo
def test_simulated_singular_values_match():
    rng = np.random.default_rng(5)
    N, M, sigma = 150, 300, 1.0
    s = np.r_[_power_law_bulk(N - 4, rng), 3.0, 3.2, 4.0, 5.0]
    U = np.linalg.qr(rng.standard_normal((N, N)))[0]
    V = np.linalg.qr(rng.standard_normal((M, N)))[0]
    S = (U * s) @ V.T
    draws = np.array(
        [
            np.linalg.svd(S + sigma * rng.standard_normal((N, M)) / np.sqrt(N), compute_uv=False)
            for _ in range(40)
        ]
    )
    de = rectangular_deterministic_equivalent(s, sigma, (N, M))
    top = draws[:, :4]
    z = (top.mean(0) - de.largest(4)) / (top.std(0, ddof=1) / np.sqrt(len(draws)))
    assert np.all(np.abs(z) < 4.5), z
    # the bulk: every predicted singular value within 0.03 of the sample mean
    assert np.max(np.abs(np.sort(draws, axis=1).mean(0) - de.singular_values)) < 0.03


# ---------------------------------------------------------------- bad input
def test_bad_input_is_refused_with_the_parameter_named():
    with pytest.raises(TypeError, match="signal must be a DiscreteLaw"):
        InformationPlusNoise(MarchenkoPastur(1.0), gamma=1.0, sigma=1.0)
    with pytest.raises(ValueError, match="signal must be a law on"):
        InformationPlusNoise(DiscreteLaw([-1.0, 1.0]), gamma=1.0, sigma=1.0)
    with pytest.raises(ValueError, match="sigma must be > 0"):
        rectangular_deterministic_equivalent([1.0, 2.0], 0.0, (2, 3))
    with pytest.raises(ValueError, match="min\\(N, M\\) = 2 entries"):
        rectangular_deterministic_equivalent([1.0, 2.0, 3.0], 1.0, (2, 3))
    with pytest.raises(ValueError, match="s_singular_values must be >= 0"):
        rectangular_deterministic_equivalent([1.0, -2.0], 1.0, (2, 3))
    with pytest.raises(TypeError, match="shape must be a pair"):
        rectangular_deterministic_equivalent([1.0, 2.0], 1.0, 2)
    with pytest.raises(TypeError, match="N\\) must be an integer"):
        rectangular_deterministic_equivalent([1.0, 2.0], 1.0, (2.0, 3))
    de = rectangular_deterministic_equivalent([1.0, 2.0], 1.0, (2, 3))
    with pytest.raises(ValueError, match="k must be <= 2"):
        de.largest(3)
    with pytest.raises(ValueError, match="p must lie in"):
        de.law.icdf(1.5)
    with pytest.raises(ValueError, match="u must avoid the atoms"):
        de.law.subordination_inverse(1.0)


# ---------------------------------------------------------------- scale
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gamma": 1.0, "sigma": 1e-200}, "sigma = 1e-200 is outside"),
        ({"gamma": 1.0, "sigma": 1e200}, "sigma = 1e[+]200 is outside"),
        ({"gamma": 1e300, "sigma": 1.0}, "gamma = 1e[+]300 is outside"),
        ({"gamma": 1e-9, "sigma": 1.0}, "gamma = 1e-09 is outside"),
    ],
)
def test_a_scale_out_of_range_is_refused_in_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        InformationPlusNoise(DiscreteLaw([0.0, 1.0]), **kwargs)
    assert "\n" not in str(info.value)


def test_a_signal_beyond_the_noise_resolution_is_refused_in_one_line():
    for call in (
        lambda: rectangular_deterministic_equivalent([1e200, 1.0], 1.0, (2, 3)),
        lambda: predict_singular_outliers_over_bulk([1e11], [0.0, 1.0], sigma=1.0, shape=(3, 4)),
        lambda: predict_singular_outliers_over_bulk([3.0], [1e11, 1.0], sigma=1.0, shape=(3, 4)),
    ):
        with pytest.raises(ValueError, match="at most 1e[+]10 times sigma = 1") as info:
            call()
        assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="sqrt of signal's atoms must be at most"):
        InformationPlusNoise(DiscreteLaw([0.0, 1e21]), gamma=1.0, sigma=1.0)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("sigma", [1e-100, 3.7e-77, 1e100])
@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_the_law_scales_exactly_down_to_the_smallest_and_up_to_the_largest_noise(sigma, gamma):
    ref = InformationPlusNoise(DiscreteLaw([0.0, 4.0, 9.0]), gamma=gamma, sigma=1.0)
    law = InformationPlusNoise(DiscreteLaw([0.0, 4 * sigma**2, 9 * sigma**2]), gamma=gamma, sigma=sigma)
    v = sigma**2
    np.testing.assert_allclose(np.array(law.support()) / v, np.array(ref.support()), rtol=1e-13)
    x = np.linspace(ref.edges()[0], ref.edges()[-1], 9)[1:-1]
    np.testing.assert_allclose(law.cdf(x * v), ref.cdf(x), rtol=0, atol=1e-13)
    np.testing.assert_allclose(law.pdf(x * v) * v, ref.pdf(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(law.icdf([0.1, 0.5, 0.9]) / v, ref.icdf([0.1, 0.5, 0.9]), rtol=1e-12)
    np.testing.assert_allclose(law.mean / v, ref.mean, rtol=1e-14)
    np.testing.assert_allclose(
        law.subordination_inverse(20 * v) / v, ref.subordination_inverse(20.0), rtol=1e-14
    )
    m0 = ref.stieltjes(np.array([3.0 + 1j, 5.0]))  # m' ~ 1 / sigma^4 may leave the float range
    np.testing.assert_allclose(law.stieltjes(np.array([3.0 * v + 1j * v, 5.0 * v])) * v, m0, rtol=1e-12)
    s = np.sqrt(sigma)  # singular values and noise of the deterministic equivalent scale together
    de = rectangular_deterministic_equivalent(np.r_[np.zeros(8), 3 * s, 5 * s], s, (10, 20))
    de0 = rectangular_deterministic_equivalent(np.r_[np.zeros(8), 3.0, 5.0], 1.0, (10, 20))
    np.testing.assert_allclose(de.singular_values / s, de0.singular_values, rtol=1e-12)


@pytest.mark.parametrize("gamma", [1e8, 1e-8])
def test_the_extreme_accepted_aspect_ratios_give_marchenko_pastur(gamma):
    law = InformationPlusNoise(DiscreteLaw([0.0]), gamma=gamma, sigma=1.0)
    mp = MarchenkoPastur(gamma, 1.0)
    np.testing.assert_allclose(law.support(), mp.support(), rtol=1e-14)
    a, b = mp.support()[0]
    x = np.linspace(a, b, 9)[1:-1]
    np.testing.assert_allclose(law.cdf(x), mp.cdf(x), rtol=0, atol=1e-7)
    np.testing.assert_allclose(law.pdf(x), mp.pdf(x), rtol=1e-10)


def test_the_rectangular_predictions_live_in_outliers_only():
    import rmtlib
    import rmtlib.information_plus_noise as ipn
    import rmtlib.outliers as outliers

    for name in ("rectangular_deterministic_equivalent", "predict_singular_outliers_over_bulk"):
        assert getattr(outliers, name) is getattr(rmtlib, name)
        assert not hasattr(ipn, name)
