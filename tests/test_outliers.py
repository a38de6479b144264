"""Tests of rmtlib.outliers: closed forms (BBP, a uniform bulk, BGN), Monte Carlo agreement, bad input."""

import numpy as np
import pytest

from rmtlib.laws import DiscreteLaw, MarchenkoPastur, Semicircle, Uniform
from rmtlib.outliers import deterministic_equivalent, predict_outliers, predict_singular_outliers


def _wigner(N, sigma, rng):
    """GOE-normalized W = R / sqrt(N): off-diagonal variance sigma^2 / N (built here, not by rmtlib)."""
    A = rng.standard_normal((N, N))
    return sigma * (A + A.T) / np.sqrt(2 * N)


# ---------------------------------------------------------------- closed forms
def test_bbp_is_the_delta0_case():
    sigma = 0.8
    theta = np.array([2.0, -1.5, 0.5, -0.8, 0.81])
    p = predict_outliers(theta, DiscreteLaw([0.0]), sigma)
    np.testing.assert_array_equal(p.separated, [True, True, False, False, True])
    sep = p.separated
    np.testing.assert_allclose(p.rho[sep], theta[sep] + sigma**2 / theta[sep], rtol=1e-14)
    np.testing.assert_allclose(p.overlap[sep], 1 - sigma**2 / theta[sep] ** 2, rtol=1e-13)
    np.testing.assert_array_equal(p.overlap[~sep], 0.0)
    np.testing.assert_allclose(p.rho[~sep], [2 * sigma, -2 * sigma], rtol=1e-12)  # stuck to the edges
    assert (p.threshold_left, p.threshold_right) == pytest.approx((-sigma, sigma), rel=1e-12)
    assert (p.edge_left, p.edge_right) == pytest.approx((-2 * sigma, 2 * sigma), rel=1e-12)


def test_uniform_numbers_of_theory_t4():
    p = predict_outliers([3.0, 2.0, -3.0, 1.3], Uniform(low=-1.0, high=1.0), sigma=1.0)
    np.testing.assert_allclose(p.rho[:3], [3.3466, 2.5493, -3.3466], atol=5e-5)
    np.testing.assert_allclose(p.overlap[:3], [0.875, 2 / 3, 0.875], atol=1e-12)
    assert p.separated.tolist() == [True, True, True, False]  # threshold theta^2 > 1 + sigma^2
    assert p.threshold_right == pytest.approx(np.sqrt(2.0), rel=1e-12)
    assert p.edge_right == pytest.approx(2.2956, abs=1e-4)
    assert p.rho[3] == pytest.approx(p.edge_right)


def test_semicircle_nu_closed_form():
    s, sigma, theta = 0.6, 0.5, np.array([1.5, 3.0])
    G = (theta - np.sqrt(theta**2 - 4 * s**2)) / (2 * s**2)
    dG = (1 - theta / np.sqrt(theta**2 - 4 * s**2)) / (2 * s**2)  # = -∫ dnu / (theta - x)^2
    p = predict_outliers(theta, Semicircle(s), sigma)
    np.testing.assert_allclose(p.rho, theta + sigma**2 * G, rtol=1e-13)
    np.testing.assert_allclose(p.slope, 1 + sigma**2 * dG, rtol=1e-12)
    # bulk edge of sc(s) ⊞ sc(sigma) = sc(sqrt(s^2 + sigma^2))
    assert p.edge_right == pytest.approx(2 * np.hypot(s, sigma), rel=1e-10)


def test_outliers_in_a_gap_of_nu():
    nu = DiscreteLaw([-4.0, 4.0])
    p = predict_outliers([0.0, 3.8], nu, sigma=0.5)
    assert p.separated.tolist() == [True, False]
    assert p.rho[0] == pytest.approx(0.0, abs=1e-14)  # symmetric: H(0) = 0
    assert p.overlap[0] == pytest.approx(1 - 0.25 / 16, rel=1e-13)


# ---------------------------------------------------------------- Monte Carlo
def test_monte_carlo_outliers_and_overlaps():
    rng = np.random.default_rng(2024)
    N, sigma = 500, 1.0
    theta = np.array([3.0, 2.5, -3.0])
    s = np.concatenate([Uniform(-1.0, 1.0).quantiles(N - 3), theta])
    lam, vec = np.linalg.eigh(_wigner(N, sigma, rng) + np.diag(s))
    p = predict_outliers(theta, Uniform(-1.0, 1.0), sigma)
    observed = np.array([lam[-1], lam[-2], lam[0]])
    tol = 3 * sigma / np.sqrt(N)  # outlier fluctuations are O(N^(-1/2))
    np.testing.assert_allclose(observed, p.rho, atol=tol)
    assert np.all(np.abs(observed - theta) > 2 * tol)  # the shift itself is resolved
    overlaps = np.array([vec[N - 3, -1] ** 2, vec[N - 2, -2] ** 2, vec[N - 1, 0] ** 2])
    np.testing.assert_allclose(overlaps, p.overlap, atol=4 / np.sqrt(N))
    # no other eigenvalue leaves the bulk
    assert lam[-3] < p.edge_right + 0.1 and lam[1] > p.edge_left - 0.1


def test_deterministic_equivalent_monte_carlo():
    rng = np.random.default_rng(7)
    N, sigma = 400, 1.0
    s = np.concatenate([Uniform(-1.0, 1.0).quantiles(N - 3), [3.0, 2.5, -3.0]])
    lam = np.linalg.eigvalsh(_wigner(N, sigma, rng) + np.diag(s))
    de = deterministic_equivalent(s, sigma)
    assert de.eigenvalues.shape == (N,) and np.all(np.diff(de.eigenvalues) >= 0)
    np.testing.assert_allclose(de.largest(2), lam[::-1][:2], atol=3 / np.sqrt(N))
    assert np.max(np.abs(lam - de.eigenvalues)[3:-3]) < 0.06  # bulk rigidity ~ N^(-2/3) at the edges
    assert np.mean(np.abs(lam - de.eigenvalues)) < 0.01
    # the classical locations are quantiles: cdf at them is (k - 1/2) / N
    np.testing.assert_allclose(de.law.cdf(de.eigenvalues), (np.arange(N) + 0.5) / N, atol=1e-9)


def test_deterministic_equivalent_beats_first_order_when_outliers_are_dense():
    """Chapter T5 (this book's finding): r = N/10 outliers packed in [1.6, 2.0]; their bumps merge."""
    N, r, sigma = 400, 40, 0.5
    theta = np.linspace(1.6, 2.0, r)
    s = np.concatenate([np.zeros(N - r), theta])
    de = deterministic_equivalent(s, sigma)
    first_order = np.sort(predict_outliers(theta, DiscreteLaw([0.0]), sigma).rho)
    err_de, err_fo = [], []
    for seed in range(2):
        lam = np.linalg.eigvalsh(_wigner(N, sigma, np.random.default_rng(seed)) + np.diag(s))
        err_de.append(np.mean(np.abs(lam[-r:] - de.eigenvalues[-r:])))
        err_fo.append(np.mean(np.abs(lam[-r:] - first_order)))
    assert max(err_de) < 0.02  # observed about 0.009
    assert min(err_fo) > 0.04  # observed about 0.065: first order misses the collective shift


def test_deterministic_equivalent_without_signal_is_the_semicircle():
    de = deterministic_equivalent(np.zeros(50), sigma=2.0)
    np.testing.assert_allclose(de.eigenvalues, Semicircle(2.0).quantiles(50), atol=1e-10)
    np.testing.assert_allclose(de.largest(3), de.eigenvalues[::-1][:3])


# ---------------------------------------------------------------- rectangular (BGN)
@pytest.mark.parametrize("gamma", [0.3, 1.0, 2.5])
def test_bgn_closed_form_agrees_with_d_transform(gamma):
    sigma = 0.8
    s = np.array([0.3, 0.9, 1.3, 2.0, 5.0])
    p = predict_singular_outliers(s, gamma=gamma, sigma=sigma)
    q = predict_singular_outliers(s, gamma=gamma, sigma=sigma, method="d_transform")
    assert p.threshold == pytest.approx(sigma * gamma**0.25, rel=1e-14)
    assert q.threshold == pytest.approx(p.threshold, rel=1e-10)
    assert q.edge == pytest.approx(p.edge, rel=1e-14)
    np.testing.assert_array_equal(p.separated, q.separated)
    np.testing.assert_allclose(q.rho, p.rho, rtol=1e-10)
    np.testing.assert_allclose(q.overlap_left, p.overlap_left, atol=1e-10)
    np.testing.assert_allclose(q.overlap_right, p.overlap_right, atol=1e-10)


def test_bgn_threshold_is_continuous():
    p = predict_singular_outliers([1.0 + 1e-9], gamma=1.0, sigma=1.0)
    assert p.rho[0] == pytest.approx(p.edge, abs=1e-6)
    assert p.overlap_left[0] == pytest.approx(0.0, abs=1e-6)


def test_bgn_d_transform_with_an_empirical_noise_law():
    gamma, sigma = 0.5, 1.0
    noise = DiscreteLaw(MarchenkoPastur(gamma, sigma).singular_values().quantiles(4000))
    p = predict_singular_outliers([1.5, 3.0], gamma=gamma, sigma=sigma)
    q = predict_singular_outliers([1.5, 3.0], gamma=gamma, sigma=sigma, method="d_transform", noise_law=noise)
    np.testing.assert_allclose(q.rho, p.rho, atol=2e-3)
    np.testing.assert_allclose(q.overlap_left, p.overlap_left, atol=2e-2)


def test_bgn_monte_carlo():
    rng = np.random.default_rng(3)
    N, M, sigma, s = 200, 400, 1.0, 2.0
    gamma = M / N
    u = rng.standard_normal(N)
    v = rng.standard_normal(M)
    u /= np.linalg.norm(u)
    v /= np.linalg.norm(v)
    W = sigma * rng.standard_normal((N, M)) / np.sqrt(N) + s * np.outer(u, v)
    U, sv, Vt = np.linalg.svd(W, full_matrices=False)
    p = predict_singular_outliers([s], gamma=gamma, sigma=sigma)
    assert sv[0] == pytest.approx(p.rho[0], abs=3 / np.sqrt(N))
    assert sv[1] < p.edge + 0.1
    assert (U[:, 0] @ u) ** 2 == pytest.approx(p.overlap_left[0], abs=4 / np.sqrt(N))
    assert (Vt[0] @ v) ** 2 == pytest.approx(p.overlap_right[0], abs=4 / np.sqrt(N))
    assert abs(p.overlap_left[0] - p.overlap_right[0]) > 0.1  # the two sides differ when gamma != 1


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: predict_outliers([0.5], Uniform(-1.0, 1.0), 1.0), ValueError, "outside the support of nu"),
        (lambda: predict_outliers([1.0], Uniform(-1.0, 1.0), 1.0), ValueError, "outside the support of nu"),
        (lambda: predict_outliers([0.0], DiscreteLaw([0.0, 1.0]), 1.0), ValueError, "outside the support"),
        (lambda: predict_outliers([3.0], [0.0], 1.0), TypeError, "nu must be a Law"),
        (lambda: predict_outliers([3.0], DiscreteLaw([0.0]), 0.0), ValueError, "sigma must be > 0"),
        (lambda: predict_outliers([np.nan], DiscreteLaw([0.0]), 1.0), ValueError, "thetas must contain only"),
        (lambda: deterministic_equivalent([1.0], 1.0), ValueError, "at least 2"),
        (lambda: deterministic_equivalent(np.eye(3), 1.0), ValueError, "1-dimensional"),
        (lambda: deterministic_equivalent([0.0, 1.0], 1.0).largest(3), ValueError, "k must be <= 2"),
        (lambda: predict_singular_outliers([0.0], gamma=1.0, sigma=1.0), ValueError, "positive singular"),
        (lambda: predict_singular_outliers([1.0], gamma=0.0, sigma=1.0), ValueError, "gamma must be > 0"),
        (
            lambda: predict_singular_outliers([1.0], gamma=1.0, sigma=1.0, method="x"),
            ValueError,
            "method must",
        ),
        (
            lambda: predict_singular_outliers([1.0], gamma=1.0, sigma=1.0, noise_law=Uniform(0.0, 1.0)),
            ValueError,
            "only used with",
        ),
        (
            lambda: predict_singular_outliers(
                [1.0], gamma=1.0, sigma=1.0, method="d_transform", noise_law=Uniform(-1.0, 1.0)
            ),
            ValueError,
            "singular values",
        ),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------- extreme magnitudes
@pytest.mark.parametrize("s", [1e150, 1e200, 1e300])
def test_singular_outliers_of_huge_signals_are_finite(s):
    """Far above the noise the outlier is the signal itself: rho/s -> 1, both overlaps -> 1."""
    p = predict_singular_outliers([s], gamma=1.0, sigma=1.0)
    assert p.separated[0]
    assert p.rho[0] == pytest.approx(s, rel=1e-12)
    assert (p.overlap_left[0], p.overlap_right[0]) == pytest.approx((1.0, 1.0), abs=1e-12)


@pytest.mark.parametrize("scale", [1e150, 1e-150])
def test_singular_outliers_scale_with_the_units(scale):
    """The predictions in other units: rho scales, overlaps and the verdict on separation do not."""
    s, gamma = np.array([0.3, 0.9, 2.0, 5.0]), 0.5
    p = predict_singular_outliers(s, gamma=gamma, sigma=1.0)
    q = predict_singular_outliers(s * scale, gamma=gamma, sigma=scale)
    assert q.separated.tolist() == p.separated.tolist()
    np.testing.assert_allclose(q.rho / scale, p.rho, rtol=1e-14)
    np.testing.assert_allclose(q.overlap_left, p.overlap_left, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(q.overlap_right, p.overlap_right, rtol=1e-14, atol=1e-15)
    assert q.threshold / scale == pytest.approx(p.threshold, rel=1e-15)


def test_d_transform_refuses_signals_at_a_scale_it_cannot_square():
    with pytest.raises(ValueError, match="within a factor 1e.100 of the noise edge"):
        predict_singular_outliers([1e200], gamma=1.0, sigma=1.0, method="d_transform")
