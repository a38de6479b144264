"""Tests for rmtlib.samplers: entry moments, symmetry, semicircle, Haar basis, signals, errors."""

import numpy as np
import pytest

from rmtlib import samplers
from rmtlib.laws import MarchenkoPastur, Semicircle, Uniform
from rmtlib.samplers import (
    ENTRY_LAWS,
    deformed_wigner,
    haar_orthogonal,
    low_rank_signal,
    rectangular_noise,
    rectangular_signal,
    spectrum_with_outliers,
    wigner,
)
from rmtlib.spectra import kolmogorov_distance
from rmtlib.tracy_widom import TW1_MEAN, TW1_SD
from rmtlib.tridiagonal import tridiagonal_model

# Kurtosis E x^4 / (E x^2)^2 of each unit-variance entry law (df = 5, sparsity = 0.5):
# Student-t 3 + 6/(df - 4); sparse 1/(1 - sparsity). The sample variance of M
# entries then has relative standard deviation sqrt((kurtosis - 1)/M).
KURTOSIS = {"gaussian": 3.0, "rademacher": 1.0, "uniform": 1.8, "student_t": 9.0, "sparse": 2.0}


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("entries", ENTRY_LAWS)
def test_wigner_is_symmetric_with_variance_sigma2_over_N(entries):
    N, sigma = 600, 1.7
    W = wigner(N, sigma=sigma, entries=entries, sparsity=0.5, rng=rng(1))
    assert W.shape == (N, N) and W.dtype == np.float64
    assert np.array_equal(W, W.T)
    off = W[np.triu_indices(N, 1)] * np.sqrt(N) / sigma  # unit variance if right
    M = off.size
    rel_sd = np.sqrt((KURTOSIS[entries] - 1) / M)
    assert abs(off.var() - 1.0) < 5 * rel_sd + 10 / M  # 1/M: the mean subtracted by var()
    assert abs(off.mean()) < 5 / np.sqrt(M)


def test_entry_laws_take_their_values():
    N = 300
    r = wigner(N, entries="rademacher", rng=rng()) * np.sqrt(N)
    assert np.allclose(np.abs(r), 1.0, rtol=1e-14) and 0 < np.mean(r > 0) < 1
    u = wigner(N, sigma=2.0, entries="uniform", rng=rng()) * np.sqrt(N)
    assert np.abs(u).max() <= 2 * np.sqrt(3) and np.abs(u).max() > 0.99 * 2 * np.sqrt(3)
    s = wigner(N, entries="sparse", sparsity=0.8, rng=rng())[np.triu_indices(N)]
    zero_fraction, M = np.mean(s == 0), s.size
    assert abs(zero_fraction - 0.8) < 5 * np.sqrt(0.8 * 0.2 / M)
    assert np.allclose(np.abs(s[s != 0]), 1 / np.sqrt(0.2 * N))


def test_diagonal_has_the_off_diagonal_variance_not_goe():
    N = 3000
    d = np.diag(wigner(N, rng=rng(2))) * np.sqrt(N)
    assert abs(d.var() - 1.0) < 5 * np.sqrt(2 / N)  # GOE would give 2


def test_sigma_scales_the_same_draw():
    assert np.allclose(wigner(50, sigma=3.0, rng=rng(4)), 3.0 * wigner(50, rng=rng(4)), rtol=1e-15, atol=0)


@pytest.mark.parametrize("entries", ENTRY_LAWS)
def test_semicircle_in_kolmogorov_distance(entries):
    # Eigenvalue rigidity (Erdos-Yau-Yin; Gotze-Tikhomirov for the rate) gives
    # sup|F_N - F| = O(log(N)^c / N). Measured D N / log N over five seeds and every
    # entry law at N = 800: 0.38-0.59; the 5%-wrong sigma gives 2.1. Bound: 1.2 log N / N.
    N = 800
    lam = np.linalg.eigvalsh(wigner(N, entries=entries, sparsity=0.5, rng=rng(3)))
    assert kolmogorov_distance(lam, Semicircle(sigma=1.0)) < 1.2 * np.log(N) / N
    assert kolmogorov_distance(lam, Semicircle(sigma=1.05)) > 1.2 * np.log(N) / N


def test_deformed_wigner_diagonal_is_noise_plus_diag():
    s = np.linspace(-1, 1, 200)
    H = deformed_wigner(s, sigma=0.5, rng=rng(5))
    assert np.allclose(H - np.diag(s), wigner(200, sigma=0.5, rng=rng(5)), rtol=0, atol=1e-15)
    S = np.diag(s) + 0.1
    H2, U = deformed_wigner(S, sigma=0.5, return_basis=True, rng=rng(5))
    assert np.allclose(H2, wigner(200, sigma=0.5, rng=rng(5)) + S, atol=1e-15)
    assert np.array_equal(U, np.eye(200))


def test_deformed_wigner_haar_basis_keeps_the_spectrum_of_S():
    N = 150
    s = np.r_[np.linspace(-1, 1, N - 2), 3.0, 5.0]
    H, U = deformed_wigner(s, basis="haar", return_basis=True, rng=rng(6))
    W = wigner(N, rng=rng(6))  # the noise is drawn first from the same stream
    assert np.array_equal(H, H.T)
    assert np.allclose(U.T @ U, np.eye(N), atol=1e-12)
    assert np.allclose(H - W, (U * s) @ U.T, atol=1e-12)
    assert np.allclose(np.linalg.eigvalsh(H - W), np.sort(s), atol=1e-12)
    S = np.diag(s)
    H2 = deformed_wigner(S, basis="haar", rng=rng(7))
    assert np.allclose(np.linalg.eigvalsh(H2 - wigner(N, rng=rng(7))), np.sort(s), atol=1e-12)


def test_haar_orthogonal_has_the_haar_first_moments():
    # For Haar O(3): E U11 = 0, E U11^2 = 1/3, E U11^4 = 3/(N(N+2)) = 1/5. Without the
    # sign fix of the QR factor, U11 would be always negative (numpy's Householder QR).
    g, n = rng(8), 4000
    u = np.array([haar_orthogonal(3, rng=g)[0, 0] for _ in range(n)])
    assert abs(u.mean()) < 5 * np.sqrt(1 / 3 / n)
    assert abs((u**2).mean() - 1 / 3) < 5 * np.sqrt((1 / 5 - 1 / 9) / n)
    assert abs((u**4).mean() - 1 / 5) < 5 * np.sqrt((1 / 9 - 1 / 25) / n)  # E U11^8 = 1/9


def test_bbp_outlier_of_a_rank_one_deformation():
    N, theta = 1000, 3.0
    H = deformed_wigner(np.r_[np.zeros(N - 1), theta], rng=rng(9))
    top = np.linalg.eigvalsh(H)[-1]
    assert abs(top - (theta + 1 / theta)) < 5 / np.sqrt(N)  # Gaussian N^(-1/2) fluctuations


def test_spectrum_with_outliers_quantiles_and_draws():
    law = Uniform(low=-1.0, high=1.0)
    s = spectrum_with_outliers(8, bulk=law, outliers=[3.0, 2.5])
    assert np.allclose(s, [-0.8333333333333334, -0.5, -1 / 6, 1 / 6, 0.5, 0.8333333333333334, 3.0, 2.5])
    sc = Semicircle(sigma=1.0)
    q = spectrum_with_outliers(1001, bulk=sc, outliers=[])
    assert np.allclose(sc.cdf(q), (np.arange(1, 1002) - 0.5) / 1001, atol=1e-9)
    n = 4000
    draws = spectrum_with_outliers(n + 1, bulk=sc, outliers=[4.0], rng=rng(10))
    assert draws[-1] == 4.0 and np.all(np.diff(draws[:-1]) >= 0)
    assert kolmogorov_distance(draws[:-1], sc) < 1.63 / np.sqrt(n)  # KS 99% critical value
    assert np.array_equal(spectrum_with_outliers(3, bulk=[2.0, 1.0], outliers=[9.0]), [1.0, 2.0, 9.0])


def test_rectangular_noise_variance_and_marchenko_pastur():
    N, M, sigma = 400, 800, 1.5
    X = rectangular_noise(N, M, sigma=sigma, rng=rng(11))
    assert X.shape == (N, M)
    assert abs(X.var() * N / sigma**2 - 1) < 5 * np.sqrt(2 / X.size)
    sv = np.linalg.svd(X, compute_uv=False)
    gamma = M / N
    edge_scale = N ** (-2 / 3)  # Tracy-Widom scale of the edges
    assert abs(sv[0] - sigma * (1 + np.sqrt(gamma))) < 5 * edge_scale
    assert abs(sv[-1] - sigma * (np.sqrt(gamma) - 1)) < 5 * edge_scale
    assert kolmogorov_distance(sv**2, MarchenkoPastur(gamma=gamma, sigma=sigma)) < 1.2 * np.log(N) / N


def test_low_rank_and_rectangular_signals():
    S, U, V = low_rank_signal(30, 50, [4.0, 2.0, 1.0], return_vectors=True, rng=rng(12))
    assert np.allclose(np.linalg.svd(S, compute_uv=False)[:4], [4, 2, 1, 0], atol=1e-12)
    assert np.allclose(U.T @ U, np.eye(3)) and np.allclose(V.T @ V, np.eye(3))
    assert np.allclose(S, (U * [4.0, 2.0, 1.0]) @ V.T)
    S2, U2, V2, s2 = rectangular_signal(
        20, 12, bulk=Uniform(low=0.5, high=1.0), outliers=[6.0], return_vectors=True, rng=rng(13)
    )
    assert U2.shape == (20, 12) and V2.shape == (12, 12) and s2[-1] == 6.0
    assert np.allclose(np.linalg.svd(S2, compute_uv=False), np.sort(s2)[::-1], atol=1e-12)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: wigner(1, rng=rng()), ValueError, "N must be >= 2"),
        (lambda: wigner(10.0, rng=rng()), TypeError, "N must be an integer"),
        (lambda: wigner(10, sigma=0.0, rng=rng()), ValueError, "sigma must be > 0"),
        (lambda: wigner(10, sigma=np.nan, rng=rng()), ValueError, "sigma must be finite"),
        (lambda: wigner(10, entries="cauchy", rng=rng()), ValueError, "entries must be one of"),
        (lambda: wigner(10, entries="student_t", df=2, rng=rng()), ValueError, "df must be > 2"),
        (lambda: wigner(10, entries="sparse", sparsity=1.0, rng=rng()), ValueError, "sparsity"),
        (lambda: wigner(10, rng=0), TypeError, "rng must be a numpy.random.Generator"),
        (lambda: wigner(10), TypeError, "rng"),
        (lambda: deformed_wigner([[0.0, 1.0], [2.0, 0.0]], rng=rng()), ValueError, "symmetric"),
        (lambda: deformed_wigner(np.zeros((2, 3)), rng=rng()), ValueError, "square"),
        (lambda: deformed_wigner([0.0, np.inf], rng=rng()), ValueError, "finite"),
        (lambda: deformed_wigner(np.zeros((2, 2, 2)), rng=rng()), ValueError, "1-D spectrum"),
        (lambda: deformed_wigner([0.0, 1.0], basis="random", rng=rng()), ValueError, "basis"),
        (lambda: spectrum_with_outliers(3, bulk=[], outliers=[1.0, 2, 3, 4]), ValueError, "at most N"),
        (lambda: spectrum_with_outliers(4, bulk=[0.0], outliers=[1.0]), ValueError, "N - r"),
        (lambda: spectrum_with_outliers(4, bulk="semicircle"), TypeError, "law object"),
        (lambda: spectrum_with_outliers(4, bulk=[0.0] * 3, outliers=[np.nan]), ValueError, "finite"),
        (lambda: rectangular_noise(10, 0, rng=rng()), ValueError, "M must be >= 1"),
        (lambda: low_rank_signal(3, 4, [1.0] * 4, rng=rng()), ValueError, "min\\(N, M\\)"),
        (lambda: low_rank_signal(3, 4, [-1.0], rng=rng()), ValueError, "nonnegative"),
        (lambda: rectangular_signal(3, 3, bulk=[-1.0, 1.0], outliers=[2.0], rng=rng()), ValueError, "nonneg"),
    ],
)
def test_bad_input_is_refused_clearly(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ----------------------------------------------------------------------------- top eigenvalue, tridiagonal


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
