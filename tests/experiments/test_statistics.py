"""Tests of rmtlib.experiments.statistics: the tests and intervals of every verdict, their power
and calibration through the verdicts of T1-T4 and T6, the tolerances and the slopes.

Each chapter's verdicts are computed by the library (``<subject>_verdicts`` of each chapter module) on
data simulated like the chapter does: under the correct model they pass; with the noise
variance 10% too high or too low in the data, or a factor 2 on ``sigma^2`` in the
prediction (T3: the two fluctuation formulas swapped), at least one fails. The
calibration tests repeat a check at the smallest sizes the chapter's rules allow and
count false alarms. Seeds are fixed, so every outcome is reproducible.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.linalg import eigvalsh_tridiagonal

from rmtlib import samplers
from rmtlib.experiments import deformed_wigner, full_rank, rectangular, semicircle, spikes, statistics
from rmtlib.free_convolution import FreeConvolutionSemicircle
from rmtlib.laws import DiscreteLaw, MarchenkoPastur, Semicircle, Uniform
from rmtlib.outliers import predict_outliers
from rmtlib.samplers import rectangular_noise, wigner
from rmtlib.spectra import kolmogorov_distance
from rmtlib.tridiagonal import tridiagonal_model

ALTERNATIVES = {"variance 1.1": 1.1, "variance 0.9": 0.9}


def rng(seed=0):
    return np.random.default_rng(seed)


def all_pass(specs):
    """Whether every verdict passes; every verdict must state its statistics."""
    assert all(s["detectable"] is not None and s["detectable"] > 0 for s in specs)
    return all(statistics.passed(s) for s in specs)


# ----------------------------------------------------------------------------- statistics


def test_mean_test_false_alarm_rate_is_its_level():
    """Known sd: the Gaussian two-sided quantile; estimated sd with two draws: Student t with 1 dof."""
    g = rng(1)
    known = np.mean(
        [
            not statistics.passed(statistics.mean_test(g.normal(0, 1, 5), predicted=0.0, sd=1.0, level=0.05))
            for _ in range(2000)
        ]
    )
    student = np.mean(
        [
            not statistics.passed(statistics.mean_test(g.normal(0, 1, 2), predicted=0.0, level=0.05))
            for _ in range(2000)
        ]
    )
    assert abs(known - 0.05) < 0.015 and abs(student - 0.05) < 0.015


def test_variance_tests_are_exact_for_gaussian_samples():
    g = rng(2)
    single = np.mean(
        [
            not statistics.passed(statistics.log_variance_test(g.normal(0, 2, 12), predicted=4.0, level=0.05))
            for _ in range(2000)
        ]
    )
    ratio = np.mean(
        [
            not statistics.passed(
                statistics.log_variance_ratio_test(
                    g.normal(0, 2, 12), g.normal(0, 1, 8), predicted=4.0, level=0.05
                )
            )
            for _ in range(2000)
        ]
    )
    assert abs(single - 0.05) < 0.015 and abs(ratio - 0.05) < 0.015


def test_variance_test_detectable_is_its_power():
    """A variance off by the stated detectable factor is rejected in about 90% of the draws (or more)."""
    g = rng(3)
    n = 200
    d = statistics.log_variance_test(g.normal(0, 1, n), predicted=1.0)["detectable"]
    for factor in (1 + d, 1 / (1 + d)):
        rejected = np.mean(
            [
                not statistics.passed(statistics.log_variance_test(g.normal(0, 1, n), predicted=factor))
                for _ in range(1000)
            ]
        )
        assert rejected >= 0.87


def test_pooled_z_beats_the_maximum_on_a_systematic_shift():
    """A shift of one standard deviation on 30 items: invisible to a union-bound maximum, obvious pooled."""
    g = rng(4)
    errors = g.normal(1.0, 1.0, 30)
    assert not statistics.passed(statistics.pooled_z_test(errors, np.ones(30)))
    assert np.max(np.abs(errors)) < statistics.max_gaussian_quantile(30)


def test_cell_mean_test_with_two_draws_per_cell_and_unequal_variances():
    g = rng(5)
    sds = np.linspace(0.2, 2.0, 12)
    alarms = np.mean(
        [
            not statistics.passed(
                statistics.cell_mean_test([g.normal(0, s, 2) for s in sds], scale=1.0, level=0.05)
            )
            for _ in range(3000)
        ]
    )
    assert alarms < 0.07


def test_every_statistic_returns_the_keyword_arguments_of_check():
    """One convention: ``check(theorem, quantity, N=N, **spec)`` records the statistic's numbers."""
    from rmtlib.verdict import check

    g = rng(6)
    x, e = g.normal(0, 1, 40), g.normal(0, 1, 40)
    specs = [
        statistics.mean_test(x, predicted=0.0, sd=1.0, scale=1.0),
        statistics.standardized_mean_test(float(x.sum()), x.size, effect=0.5),
        statistics.pooled_z_test(e, np.ones(40), scale=np.full(40, 2.0)),
        statistics.z_square_test(e, np.ones(40)),
        statistics.variance_test(float(np.sum(e**2)), e.size),
        statistics.log_variance_test(x, predicted=1.0),
        statistics.log_variance_ratio_test(x, e, predicted=1.0),
        statistics.cell_mean_test([x[:20], x[20:]], scale=1.0),
        statistics.cluster_mean_test(x.reshape(8, 5).sum(axis=1), np.full(8, 5), effect=0.5),
        statistics.bootstrap_slope(
            [100, 400], [x.reshape(20, 2) ** 2 / 100, e.reshape(20, 2) ** 2 / 400], predicted=-0.5
        )[0],
        statistics.count_test(3, 3),
    ]
    for spec in specs:
        verdict = check("T0", "a statistic", N=1, **spec)
        assert (
            isinstance(spec, statistics.VerdictSpec)
            and spec.passed == statistics.passed(spec) == verdict.passed
        )
        assert (verdict.predicted, verdict.observed, verdict.tolerance, verdict.detectable) == (
            spec.predicted,
            spec.observed,
            spec.tolerance,
            spec.detectable,
        )


@pytest.mark.parametrize(
    "bad, error",
    [
        (dict(values=[1.0]), ValueError),
        (dict(values=[1.0, 2.0], sd=-1.0), ValueError),
        (dict(values=[1.0, 2.0], bias=-0.1), ValueError),
    ],
)
def test_mean_test_refuses(bad, error):
    with pytest.raises(error):
        statistics.mean_test(predicted=0.0, **bad)


# ----------------------------------------------------------------------------- T1


def t1_spectra(N, factor, seed):
    g = rng(seed)
    return {
        e: np.linalg.eigvalsh(wigner(N, sigma=np.sqrt(factor), entries=e, rng=g))
        for e in ("gaussian", "rademacher", "student_t")
    }


def goe_spectrum(N, factor, seed):
    """Eigenvalues of a GOE matrix with entry variance ``factor/N``, from the tridiagonal model in O(N^2).

    The verdict only reads the spectrum, so the wrong models need not cost a dense
    eigendecomposition: at N = 1500 the Kolmogorov distance of a 10% variance error is
    2.9 to 3.2 tolerances (seeds 0-4), the correct model's 0.34 to 0.53.
    """
    d, e = tridiagonal_model(N, sigma=np.sqrt(factor), rng=rng(seed))
    return eigvalsh_tridiagonal(d, e)


@pytest.fixture(scope="module")
def t1_null():
    """One dense spectrum per entry law at N = 1500 under the correct model (the costly part of T1)."""
    return t1_spectra(1500, 1.0, 10)


def test_t1_power(t1_null):
    assert all_pass(semicircle.semicircle_verdicts(t1_null, sigma=1.0))
    assert not all_pass(semicircle.semicircle_verdicts(t1_null, sigma=np.sqrt(2.0)))  # 2 sigma^2 predicted
    for factor in ALTERNATIVES.values():
        wrong = {"gaussian": goe_spectrum(1500, factor, 11)}
        assert not all_pass(semicircle.semicircle_verdicts(wrong, sigma=1.0))
    spec = semicircle.semicircle_verdicts(t1_null, sigma=1.0)[0]
    assert 0.02 < spec["detectable"] < 0.1


@pytest.mark.parametrize("entries", ["gaussian", "rademacher", "uniform", "student_t", "sparse"])
def test_t1_calibrated_at_the_smallest_size(entries):
    """N = 50 (the chapter's minimum), 400 draws per entry law: the largest distance below 0.9 tolerance."""
    g, law, N = rng(13), Semicircle(sigma=1.0), 50
    worst = max(
        kolmogorov_distance(np.linalg.eigvalsh(wigner(N, entries=entries, rng=g)), law) for _ in range(400)
    )
    assert worst < 0.9 * statistics.ks_tolerance(N)


# ----------------------------------------------------------------------------- T2


def t2_spectra(N, factor, seed):
    g = rng(seed)
    nus = {"uniform": Uniform(low=-1.0, high=1.0), "two-point": DiscreteLaw([-0.8, 0.8])}
    return nus, {
        name: np.linalg.eigvalsh(samplers.deformed_wigner(nu.quantiles(N), sigma=np.sqrt(factor), rng=g))
        for name, nu in nus.items()
    }


def test_t2_power():
    N = 1500
    nus, spectra = t2_spectra(N, 1.0, 20)
    assert all_pass(deformed_wigner.deformed_verdicts(spectra, nus, sigma=1.0))
    assert not all_pass(deformed_wigner.deformed_verdicts(spectra, nus, sigma=np.sqrt(2.0)))
    for factor in ALTERNATIVES.values():
        nus, spectra = t2_spectra(N, factor, 21)
        assert not all_pass(deformed_wigner.deformed_verdicts(spectra, nus, sigma=1.0))


def test_t2_calibrated_at_the_smallest_size():
    g, N = rng(22), 100
    for nu in (Uniform(low=-1.0, high=1.0), DiscreteLaw([-0.8, 0.8])):
        law = FreeConvolutionSemicircle(nu, 1.0)
        worst = max(
            kolmogorov_distance(np.linalg.eigvalsh(samplers.deformed_wigner(nu.quantiles(N), rng=g)), law)
            for _ in range(200)
        )
        assert worst < 0.9 * statistics.ks_tolerance(N)


# ----------------------------------------------------------------------------- T3


def t3_samples(N, n, seed, factor=1.0, theta=2.0):
    g = rng(seed)
    return {
        basis: pd.DataFrame(
            [
                spikes.spike(N=N, theta=theta, basis=basis, noise_variance_factor=factor, rng=g)
                for _ in range(n)
            ]
        )
        for basis in ("diagonal", "haar")
    }


def test_t3_power():
    N, n = 200, 200
    null = t3_samples(N, n, 30)
    assert all_pass(spikes.spike_verdicts(null, N=N, theta=2.0, sigma=1.0))
    assert not all_pass(spikes.spike_verdicts(null, N=N, theta=2.0, sigma=np.sqrt(2.0)))
    for factor in ALTERNATIVES.values():
        assert not all_pass(spikes.spike_verdicts(t3_samples(N, n, 31, factor), N=N, theta=2.0, sigma=1.0))
    # the two fluctuation formulas swapped: the basis-vector data with the Haar variance and back
    swapped = {"diagonal": null["haar"], "haar": null["diagonal"]}
    failed = {
        s["quantity"]
        for s in spikes.spike_verdicts(swapped, N=N, theta=2.0, sigma=1.0)
        if not statistics.passed(s)
    }
    assert "log of Var(lambda_1) haar / Var(lambda_1) diagonal" in failed
    assert any(q.startswith("log N Var") for q in failed)


def test_t3_calibrated_at_the_smallest_size():
    """fluct_N = 50 and fluct_samples = 10 (the minimum sizes): 150 repetitions, at most one false alarm
    over the 7 verdicts (the level is 1e-3 per verdict; the bias allowances cover N = 50)."""
    alarms = 0
    for rep in range(150):
        specs = spikes.spike_verdicts(t3_samples(50, 10, 1000 + rep), N=50, theta=2.0, sigma=1.0)
        alarms += sum(not statistics.passed(s) for s in specs)
    assert alarms <= 1


# ----------------------------------------------------------------------------- T4


def t4_results(N, seeds, factor, seed, sigma=0.5):
    g = rng(seed)
    nus = {
        "uniform": Uniform(low=-1.0, high=1.0),
        "two atoms": DiscreteLaw([-1.0, 1.0]),
        "semicircle": Semicircle(sigma=0.5),
    }
    thetas = [1.05, 1.3, 1.6, 2.0, 2.5, 3.0]
    return {
        name: [
            full_rank.outlier_comparison(
                N=N, nu=nu, thetas=thetas, sigma=sigma, noise_variance_factor=factor, rng=g
            )
            for _ in range(seeds)
        ]
        for name, nu in nus.items()
    }


def test_t4_power():
    """Each wrong model at the smallest draw that still rejects it; the margin is the largest
    |observed - predicted| / tolerance, measured over a few seeds: 2 sigma^2 predicted, N = 500 and one
    matrix per bulk, 3.8-5.9 (4 seeds); variance 1.1, N = 2000 and one matrix, 4.0, a count (3 seeds; at
    N = 1000 it fell to 0.55); variance 0.9, N = 2000 and two matrices, 1.9-2.6 (2 seeds; one matrix:
    0.94)."""
    N = 2000
    null = t4_results(N, 2, 1.0, 40)
    assert all_pass(full_rank.full_rank_verdicts(null, N=N, sigma=0.5))
    doubled = t4_results(500, 1, 0.5, 42, sigma=0.5 * np.sqrt(2.0))  # same data law, 2 sigma^2 predicted
    assert not all_pass(full_rank.full_rank_verdicts(doubled, N=500, sigma=0.5 * np.sqrt(2.0)))
    assert not all_pass(full_rank.full_rank_verdicts(t4_results(N, 1, 1.1, 41), N=N, sigma=0.5))
    assert not all_pass(full_rank.full_rank_verdicts(t4_results(N, 2, 0.9, 41), N=N, sigma=0.5))


def test_t4_calibrated_at_the_smallest_size():
    """N = 200 (the minimum), 40 repetitions of the chapter's three bulks: no false alarm."""
    for rep in range(40):
        specs = full_rank.full_rank_verdicts(t4_results(200, 1, 1.0, 2000 + rep), N=200, sigma=0.5)
        assert all_pass(specs), [s for s in specs if not statistics.passed(s)]


# ----------------------------------------------------------------------------- T6


def t6_data(N, n_seeds, factor, seed, ratios=(2.0, 2.5, 3.0, 4.0)):
    g = rng(seed)
    sigma = np.sqrt(factor)
    spectra, records = {}, []
    for gamma in (0.5, 1.0, 2.0):
        M = int(round(gamma * N))
        spectra[gamma] = np.linalg.svd(rectangular_noise(N, M, sigma=sigma, rng=g), compute_uv=False) ** 2
        for ratio in ratios:
            s = ratio * gamma**0.25
            records += [
                {
                    "gamma": M / N,
                    "s": s,
                    **rectangular.spiked_singular_triplet(N=N, M=M, s=s, sigma=sigma, rng=g),
                }
                for _ in range(n_seeds)
            ]
    return spectra, pd.DataFrame(records)


def test_t6_power():
    N = 1000
    spectra, draws = t6_data(N, 3, 1.0, 60)
    assert all_pass(rectangular.rectangular_verdicts(spectra, draws, N=N, sigma=1.0))
    assert not all_pass(rectangular.rectangular_verdicts(spectra, draws, N=N, sigma=np.sqrt(2.0)))
    for factor in ALTERNATIVES.values():
        spectra, draws = t6_data(N, 3, factor, 61)
        failed = [
            s["quantity"]
            for s in rectangular.rectangular_verdicts(spectra, draws, N=N, sigma=1.0)
            if not statistics.passed(s)
        ]
        assert any(q.startswith("BGN") for q in failed) and any(q.startswith("KS") for q in failed)


def test_t6_calibrated_at_the_smallest_size():
    """N = 100 and n_seeds = 2 (the minimum): 40 repetitions, no false alarm; the MP check at n = 50."""
    for rep in range(40):
        specs = rectangular.rectangular_verdicts(*t6_data(100, 2, 1.0, 3000 + rep), N=100, sigma=1.0)
        assert all_pass(specs), [s for s in specs if not statistics.passed(s)]
    g, law = rng(62), MarchenkoPastur(gamma=0.5, sigma=1.0)
    worst = max(
        kolmogorov_distance(np.linalg.svd(rectangular_noise(100, 50, rng=g), compute_uv=False) ** 2, law)
        for _ in range(300)
    )
    assert worst < 0.9 * statistics.ks_tolerance(50)


# ----------------------------------------------------------------------------- tolerances, slopes, t-tests


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


def test_pooled_t_check_false_alarm_rate():
    rng = np.random.default_rng(14)
    fails = sum(
        not spec.passed
        for spec in (statistics.pooled_t_check(rng.standard_normal(6), level=0.9) for _ in range(4000))
    )
    assert fails / 4000 == pytest.approx(0.1, abs=0.015)


def test_t_interval_and_mean_test_share_one_computation():
    x = np.random.default_rng(16).normal(0.3, 2.0, size=9)
    interval = statistics.t_interval(x, level=0.99)
    spec = statistics.mean_test(x, predicted=0.0, scale=1.0, level=0.01)
    se = np.std(x, ddof=1) / 3.0
    assert interval["mean"] == spec["observed"] == float(np.mean(x))
    assert interval["se"] == pytest.approx(se, rel=1e-15)
    # the same quantile up to the last bits: ppf(0.995) against isf(0.005)
    assert interval["tolerance"] == pytest.approx(spec["tolerance"], rel=1e-12)
    assert interval["tolerance"] == pytest.approx(stats.t.ppf(0.995, 8) * se, rel=1e-12)
    assert interval["detectable_shift"] == pytest.approx(spec["detectable"], rel=1e-12)
    assert statistics.t_statistic(x) == pytest.approx(np.mean(x) / se, rel=1e-14)


def test_pooled_t_check_is_the_interval_as_check_arguments():
    x = np.array([0.3, -0.1, 0.5, 0.2, 0.4])
    interval = statistics.t_interval(x)
    spec = statistics.pooled_t_check(x, scale=4.0, units="matrices")
    assert set(spec) == {"predicted", "observed", "tolerance", "seeds", "detectable", "note"}
    assert (spec.predicted, spec.observed, spec.tolerance, spec.seeds) == (
        0.0,
        interval["mean"],
        interval["tolerance"],
        5,
    )
    assert spec.detectable == interval["detectable_shift"] / 4.0
    assert spec.note == "t-test over 5 matrices, level 1e-3"
    assert statistics.pooled_t_check(x).detectable is None
    with pytest.raises(ValueError, match="residuals"):
        statistics.t_interval([1.0])


def test_loglog_slope_interval_covers_the_true_slope():
    rng = np.random.default_rng(15)
    sizes = np.repeat([100, 200, 400, 800], 5)
    table = pd.DataFrame({"N": sizes, "e": sizes**-0.5 * np.exp(0.1 * rng.standard_normal(sizes.size))})
    fit = statistics.loglog_slope_interval(table, x="N", y="e", level=0.99, rng=rng)
    assert fit["low"] < -0.5 < fit["high"] and fit["high"] - fit["low"] < 0.2


def test_paired_rule_comparison():
    study = pd.DataFrame(
        {
            "seed": np.repeat(np.arange(5), 2),
            "method": ["a", "b"] * 5,
            "at": "rmt",
            "accuracy": [0.9, 0.8, 0.91, 0.85, 0.88, 0.87, 0.93, 0.9, 0.9, 0.9],
        }
    )
    row = statistics.paired_rule_comparison(study).iloc[0]
    d = np.array([0.1, 0.06, 0.01, 0.03, 0.0])
    assert row["mean difference"] == pytest.approx(d.mean())
    assert row["t"] == pytest.approx(d.mean() / (d.std(ddof=1) / np.sqrt(5)))
    assert row["first ahead"] == 4
    same = statistics.paired_rule_comparison(study.assign(accuracy=0.5)).iloc[0]
    assert (same["t"], same["p-value"]) == (0.0, 1.0)
    with pytest.raises(ValueError, match="lacks the columns"):
        statistics.paired_rule_comparison(study.drop(columns="seed"))
