"""Tests of rmtlib.experiments.rectangular (T6): the rank-one rectangular spike and the
Marchenko-Pastur bulk against their predictions and direct computations."""

import numpy as np
import pytest

from rmtlib.experiments import rectangular
from rmtlib.experiments.rectangular import singular_spike_draws, singular_spike_table, spiked_singular_triplet
from rmtlib.laws import MarchenkoPastur
from rmtlib.outliers import predict_singular_outliers
from rmtlib.samplers import rectangular_noise
from rmtlib.spectra import kolmogorov_distance


def test_spiked_singular_triplet_follows_bgn():
    """Mean over 4 draws at N = 600, gamma = 2: location and both overlaps to ~4 standard errors."""
    N, M, s, sigma = 600, 1200, 2.0, 1.0
    rng = np.random.default_rng(12)
    draws = [spiked_singular_triplet(N=N, M=M, s=s, sigma=sigma, rng=rng) for _ in range(4)]
    a, b = sigma**2, sigma**2 * M / N  # the BGN closed forms, written out independently
    rho = np.sqrt((s**2 + a) * (s**2 + b)) / s
    assert np.mean([d["top"] for d in draws]) == pytest.approx(rho, abs=0.05)
    left = 1 - a * (b + s**2) / (s**2 * (s**2 + a))
    right = 1 - b * (a + s**2) / (s**2 * (s**2 + b))
    assert np.mean([d["overlap_left"] for d in draws]) == pytest.approx(left, abs=0.05)
    assert np.mean([d["overlap_right"] for d in draws]) == pytest.approx(right, abs=0.05)
    p = predict_singular_outliers([s], gamma=M / N, sigma=sigma)
    assert (p.rho[0], p.overlap_left[0], p.overlap_right[0]) == pytest.approx((rho, left, right), rel=1e-12)


def test_singular_spike_table_averages_the_draws_and_predicts_at_each_cell():
    """The table is the mean and sd of the draws, in draw order, beside predict_singular_outliers."""
    N, gammas, ratios, n_seeds = 120, [0.5, 2.0], [0.5, 3.0], 3
    table = singular_spike_table(
        singular_spike_draws(
            N=N, gammas=gammas, s_over_threshold=ratios, n_seeds=n_seeds, rng=np.random.default_rng(8)
        )
    )
    assert len(table) == len(gammas) * len(ratios)
    rng = np.random.default_rng(8)
    for gamma in gammas:
        M = round(gamma * N)
        threshold = (M / N) ** 0.25
        for ratio in ratios:
            draws = [spiked_singular_triplet(N=N, M=M, s=ratio * threshold, rng=rng) for _ in range(n_seeds)]
            row = table[(table["gamma"] == M / N) & (table["s"] == ratio * threshold)]
            tops = [d["top"] for d in draws]
            assert float(row[("top", "mean")].iloc[0]) == pytest.approx(np.mean(tops), rel=1e-14)
            assert float(row[("top", "std")].iloc[0]) == pytest.approx(np.std(tops, ddof=1), rel=1e-12)
            p = predict_singular_outliers([ratio * threshold], gamma=M / N, sigma=1.0)
            assert float(row["rho"].iloc[0]) == p.rho[0]
            assert float(row["pred_left"].iloc[0]) == p.overlap_left[0]
            assert float(row["threshold"].iloc[0]) == pytest.approx(threshold, rel=1e-15)
    below = table[table[("ratio", "mean")] < 1]
    assert np.all(below["pred_left"] == 0) and np.allclose(below["rho"], 1 + np.sqrt(below["gamma"]))


def test_singular_spike_draws_scale_only_the_noise():
    """noise_variance_factor multiplies the noise variance of the draws; the grid of s stays sigma's."""
    grid = {"N": 150, "gammas": [1.0], "s_over_threshold": [3.0], "n_seeds": 2}
    plain = singular_spike_draws(**grid, rng=np.random.default_rng(3))
    louder = singular_spike_draws(**grid, noise_variance_factor=1.21, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(plain["s"], louder["s"])
    s = float(plain["s"][0])
    direct = spiked_singular_triplet(N=150, M=150, s=s, sigma=1.1, rng=np.random.default_rng(3))
    assert louder["top"][0] == pytest.approx(direct["top"], rel=1e-12)


def test_mp_bulk_is_the_singular_values_of_the_same_noise():
    table, sv = rectangular.mp_bulk(N=120, gammas=[0.5, 2.0], rng=np.random.default_rng(5))
    g = np.random.default_rng(5)
    for row, (gamma, values) in zip(table.to_dict("records"), sv.items(), strict=True):
        direct = np.linalg.svd(rectangular_noise(120, row["M"], sigma=1.0, rng=g), compute_uv=False)
        np.testing.assert_array_equal(values, direct)
        law = MarchenkoPastur(gamma=gamma, sigma=1.0)
        assert row["ks_distance"] == kolmogorov_distance(direct**2, law) <= row["tolerance"]
        assert (
            row["mp_edge"] == pytest.approx(1 + np.sqrt(gamma), rel=1e-9) and row["largest_sv"] == direct[0]
        )
    assert table["M"].tolist() == [60, 240]
    louder, _ = rectangular.mp_bulk(
        N=120, gammas=[0.5], noise_variance_factor=2.0, rng=np.random.default_rng(5)
    )
    assert louder["ks_distance"].iloc[0] > louder["tolerance"].iloc[0]  # twice the variance is rejected


def test_spec_table_lists_each_spec_by_quantity():
    specs = [
        {"quantity": "a", "observed": 1.0, "tolerance": 0.1, "detectable": 0.05},
        {"quantity": "b", "observed": 2.0, "tolerance": 0.2, "detectable": None},
    ]
    table = rectangular.spec_table(specs)
    assert list(table.index) == ["a", "b"]
    assert table.loc["a"].tolist() == [1.0, 0.1, 0.05]
    assert table.loc["b", "tolerance"] == 0.2
