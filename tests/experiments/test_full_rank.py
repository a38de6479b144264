"""Tests of rmtlib.experiments.full_rank (T4): one matrix's outliers against their predictions."""

import numpy as np
import pytest

from rmtlib.experiments import full_rank, statistics
from rmtlib.laws import Uniform
from rmtlib.outliers import predict_outliers


def rng(seed=0):
    return np.random.default_rng(seed)


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


def test_separation_table_is_the_prediction_per_law():
    thetas = [1.05, 1.6, 3.0]
    nus = {"uniform": Uniform(low=-1.0, high=1.0), "narrow": Uniform(low=-0.1, high=0.1)}
    table = full_rank.separation_table(thetas, nus, sigma=1.0)
    assert table.index.name == "theta" and table.index.tolist() == thetas
    for name, nu in nus.items():
        assert table[name].tolist() == predict_outliers(thetas, nu, 1.0).separated.tolist()
    # just above the edge of Uniform(-1, 1) an outlier is absorbed; the narrow law lets it separate
    assert table["narrow"].tolist() == [True, True, True] and table["uniform"].tolist()[0] is False
