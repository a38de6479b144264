"""Tests of rmtlib.experiments: closed forms, independent implementations, Monte Carlo with fixed seeds."""

import numpy as np
import pytest
from scipy import stats

from rmtlib import samplers
from rmtlib.experiments import deformed_wigner, full_rank, spikes, statistics
from rmtlib.laws import DiscreteLaw, Semicircle, Uniform
from rmtlib.outliers import predict_outliers
from rmtlib.samplers import wigner
from rmtlib.spectra import kolmogorov_distance
from rmtlib.tracy_widom import TW1_MEAN, TW1_SD
from rmtlib.tridiagonal import tridiagonal_model


def rng(seed=0):
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------- tolerances


def test_ks_tolerance_closed_form():
    N = 1000
    lead = 2 * np.sqrt(2) / np.pi * np.log(N) / N
    assert statistics.ks_tolerance(N) == pytest.approx(lead + 2 / N, rel=1e-14)
    assert statistics.ks_tolerance(N, beta=2) == pytest.approx(lead / np.sqrt(2) + 2 / N, rel=1e-14)
    assert statistics.ks_tolerance(N, safety=1.0) == pytest.approx(lead / 2 + 2 / N, rel=1e-14)
    sizes = [10, 100, 1000, 10_000]
    assert np.all(np.diff([statistics.ks_tolerance(n) for n in sizes]) < 0)


def test_ks_tolerance_separates_a_wrong_law():
    """Right law inside the tolerance, sigma off by 10% outside it (the T1 verdict's power)."""
    N = 600
    eigenvalues = np.linalg.eigvalsh(wigner(N, rng=rng(1)))
    assert kolmogorov_distance(eigenvalues, Semicircle(sigma=1.0)) < statistics.ks_tolerance(N)
    assert kolmogorov_distance(eigenvalues, Semicircle(sigma=1.1)) > 2 * statistics.ks_tolerance(N)


@pytest.mark.parametrize(
    "bad, error",
    [
        ({"N": 1}, ValueError),
        ({"N": 100, "beta": 4}, ValueError),
        ({"N": 100, "safety": 0.0}, ValueError),
        ({"N": 10.0}, TypeError),
    ],
)
def test_ks_tolerance_refuses(bad, error):
    with pytest.raises(error):
        statistics.ks_tolerance(**bad)


def test_max_gaussian_quantile_is_a_union_bound():
    for r in (1, 7, 500):
        t = statistics.max_gaussian_quantile(r, level=1e-3)
        assert 2 * r * stats.norm.sf(t) == pytest.approx(1e-3, rel=1e-10)
    assert statistics.max_gaussian_quantile(10) < statistics.max_gaussian_quantile(100)
    with pytest.raises(ValueError, match="r must be >= 1"):
        statistics.max_gaussian_quantile(0)
    with pytest.raises(ValueError, match="level"):
        statistics.max_gaussian_quantile(5, level=0.9)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0])
def test_outlier_fluctuation_variance_for_a_spike(sigma):
    theta = np.array([1.5, 2.0, 4.0]) * sigma
    overlap = predict_outliers(theta, DiscreteLaw([0.0]), sigma).overlap
    diagonal = statistics.outlier_fluctuation_variance(overlap, sigma=sigma)
    haar = statistics.outlier_fluctuation_variance(overlap, sigma=sigma, basis="haar")
    np.testing.assert_allclose(diagonal, sigma**2 * (1 - sigma**4 / theta**4), rtol=1e-10)
    np.testing.assert_allclose(haar, 2 * sigma**2 * (1 - sigma**2 / theta**2), rtol=1e-10)
    assert np.all(diagonal <= sigma**2)


def test_outlier_fluctuation_variance_refuses():
    with pytest.raises(ValueError, match="overlap"):
        statistics.outlier_fluctuation_variance([1.2])
    with pytest.raises(ValueError, match="basis"):
        statistics.outlier_fluctuation_variance([0.5], basis="random")


def test_loglog_slope():
    x = np.array([10.0, 100.0, 1000.0])
    assert statistics.loglog_slope(x, 3.0 * x**-0.75) == pytest.approx(-0.75, abs=1e-12)
    with pytest.raises(ValueError, match="same length"):
        statistics.loglog_slope([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="positive"):
        statistics.loglog_slope([1.0, 2.0], [1.0, -2.0])


# ----------------------------------------------------------------------------- tridiagonal model


def test_top_eigenvalue_tridiagonal_matches_a_dense_solver():
    N, spike = 300, 1.7
    out = samplers.top_eigenvalue_tridiagonal(N=N, spike=spike, rng=rng(3))
    d, e = tridiagonal_model(N, beta=1, sigma=1.0, rng=rng(3))
    T = np.diag(d) + np.diag(e, 1) + np.diag(e, -1)
    T[0, 0] += spike
    assert out["top"] == pytest.approx(np.linalg.eigvalsh(T)[-1], abs=1e-12)
    assert out["edge_scaled"] == pytest.approx(N ** (2 / 3) * (out["top"] - 2.0), rel=1e-12)


def test_top_eigenvalue_tridiagonal_follows_tracy_widom():
    g = rng(4)
    n = 300
    scaled = np.array([samplers.top_eigenvalue_tridiagonal(N=2000, rng=g)["edge_scaled"] for _ in range(n)])
    # 4 standard errors of the mean, plus 0.15 for the O(N^(-1/3)) finite-N shift of the mean
    assert abs(scaled.mean() - TW1_MEAN) < 4 * TW1_SD / np.sqrt(n) + 0.15
    assert abs(scaled.std(ddof=1) - TW1_SD) < 0.25


def test_critical_window_limits():
    N, n = 10_000, 20
    g = rng(5)
    far = np.array([spikes.critical_window(N=N, w=6.0, rng=g)["edge_scaled"] for _ in range(n)])
    theta = 1.0 + 6.0 * N ** (-1 / 3)
    outlier = N ** (2 / 3) * (theta + 1 / theta - 2.0)
    sd = N ** (2 / 3) * np.sqrt(2 * (1 - theta**-2) / N)  # GOE spike fluctuation, on this scale
    assert abs(far.mean() - outlier) < 4 * sd / np.sqrt(n) + 0.5
    below = np.array([spikes.critical_window(N=N, w=-6.0, rng=g)["edge_scaled"] for _ in range(n)])
    assert abs(below.mean() - TW1_MEAN) < 4 * TW1_SD / np.sqrt(n) + 0.3


# ----------------------------------------------------------------------------- spikes


def test_spike_bbp_location_and_overlap():
    N, theta, n = 300, 3.0, 6
    g = rng(6)
    runs = [spikes.spike(N=N, theta=theta, rng=g) for _ in range(n)]
    tops = np.array([r["top"] for r in runs])
    overlaps = np.array([r["overlap"] for r in runs])
    sd = np.sqrt(1 - theta**-4) / np.sqrt(N)
    assert abs(tops.mean() - (theta + 1 / theta)) < 4 * sd / np.sqrt(n) + 2 / N
    assert abs(overlaps.mean() - (1 - theta**-2)) < 0.04
    np.testing.assert_allclose([r["scaled"] for r in runs], np.sqrt(N) * (tops - theta - 1 / theta))


def test_spike_haar_basis_and_subcritical():
    out = spikes.spike(N=400, theta=4.0, basis="haar", rng=rng(7))
    assert out["overlap"] == pytest.approx(1 - 1 / 16, abs=0.05)
    below = spikes.spike(N=400, theta=0.5, rng=rng(7))
    assert np.isnan(below["scaled"]) and below["overlap"] < 0.1
    assert below["top"] == pytest.approx(2.0, abs=0.1)


def test_spike_diagonal_is_the_deformed_wigner_matrix():
    """spike builds W + theta e_N e_N^T itself: same draws, same matrix as samplers.deformed_wigner."""
    spectrum = np.r_[np.zeros(199), 2.5]
    H = samplers.deformed_wigner(spectrum, rng=rng(9))
    out = spikes.spike(N=200, theta=2.5, rng=rng(9))
    values, vectors = np.linalg.eigh(H)
    assert out["top"] == pytest.approx(values[-1], abs=1e-10)
    assert out["overlap"] == pytest.approx(vectors[-1, -1] ** 2, abs=1e-8)


def test_deformed_ks_with_delta0_is_the_semicircle_distance():
    out = deformed_wigner.deformed_ks(N=300, nu=DiscreteLaw([0.0]), rng=rng(8))
    direct = kolmogorov_distance(np.linalg.eigvalsh(wigner(300, rng=rng(8))), Semicircle(sigma=1.0))
    assert out["ks"] == pytest.approx(direct, abs=1e-9)
    assert out["tolerance"] == statistics.ks_tolerance(300)


# ----------------------------------------------------------------------------- full-rank S


def test_outlier_comparison_uniform_bulk():
    res = full_rank.outlier_comparison(
        N=600, nu=Uniform(low=-1.0, high=1.0), thetas=[1.2, 2.0, 3.0], rng=rng(9)
    )
    assert res.separated.tolist() == [False, True, True]
    # theta = 2 gives an outlier 4.1 standard deviations above edge + 6 TW units: too close to count
    # with certainty, so the counting line moves 4.5 standard deviations above it
    sd2 = np.sqrt(statistics.outlier_fluctuation_variance(res.overlap_predicted[1]) / 600)
    assert res.count_line == pytest.approx(res.rho[1] + 4.5 * sd2)
    assert res.count_predicted == res.count_observed == 1
    # closed form for nu uniform on [-1, 1] (Capitaine et al. 2011)
    np.testing.assert_allclose(res.rho[1:], [2.5493, 3.3466], atol=1e-4)
    np.testing.assert_allclose(res.overlap_predicted[1:], [2 / 3, 0.875], atol=1e-4)
    sd = np.sqrt(statistics.outlier_fluctuation_variance(res.overlap_predicted[1:]) / 600)
    assert np.all(np.abs(res.observed[1:] - res.rho[1:]) < 4 * sd)
    assert np.all(np.abs(res.overlap_observed[1:] - res.overlap_predicted[1:]) < 0.1)
    assert np.isnan(res.observed[0])
    assert res.edge == pytest.approx(2.2956, abs=1e-4)
    assert np.all(np.diff(res.top) <= 0) and res.top.size == 12


def test_outlier_comparison_refuses_bad_input():
    with pytest.raises(ValueError, match="thetas"):
        full_rank.outlier_comparison(N=100, nu=Uniform(low=-1.0, high=1.0), thetas=[], rng=rng())
    with pytest.raises(TypeError, match="rng"):
        full_rank.outlier_comparison(N=100, nu=Uniform(low=-1.0, high=1.0), thetas=[3.0], rng=0)
