"""Power and calibration of the verdicts of T1-T4 and T6.

Each chapter's verdicts are computed by the library (``rmtlib.experiments.verdicts``) on
data simulated like the chapter does: under the correct model they pass; with the noise
variance 10% too high or too low in the data, or a factor 2 on ``sigma^2`` in the
prediction (T3: the two fluctuation formulas swapped), at least one fails. The
calibration tests repeat a check at the smallest sizes the chapter's rules allow and
count false alarms. Seeds are fixed, so every outcome is reproducible.
"""

import numpy as np
import pandas as pd
import pytest

from rmtlib import experiments as ex
from rmtlib.experiments import power, spiked_singular_triplet
from rmtlib.free_convolution import FreeConvolutionSemicircle
from rmtlib.laws import DiscreteLaw, MarchenkoPastur, Semicircle, Uniform
from rmtlib.samplers import deformed_wigner, rectangular_noise, wigner
from rmtlib.spectra import kolmogorov_distance

ALTERNATIVES = {"variance 1.1": 1.1, "variance 0.9": 0.9}


def rng(seed=0):
    return np.random.default_rng(seed)


def all_pass(specs):
    """Whether every verdict passes; every verdict must state its power."""
    assert all(s["detectable"] is not None and s["detectable"] > 0 for s in specs)
    return all(power.passed(s) for s in specs)


# ----------------------------------------------------------------------------- statistics


def test_mean_test_false_alarm_rate_is_its_level():
    """Known sd: the Gaussian two-sided quantile; estimated sd with two draws: Student t with 1 dof."""
    g = rng(1)
    known = np.mean(
        [
            not power.passed(power.mean_test(g.normal(0, 1, 5), predicted=0.0, sd=1.0, level=0.05))
            for _ in range(2000)
        ]
    )
    student = np.mean(
        [not power.passed(power.mean_test(g.normal(0, 1, 2), predicted=0.0, level=0.05)) for _ in range(2000)]
    )
    assert abs(known - 0.05) < 0.015 and abs(student - 0.05) < 0.015


def test_variance_tests_are_exact_for_gaussian_samples():
    g = rng(2)
    single = np.mean(
        [
            not power.passed(power.log_variance_test(g.normal(0, 2, 12), predicted=4.0, level=0.05))
            for _ in range(2000)
        ]
    )
    ratio = np.mean(
        [
            not power.passed(
                power.log_variance_ratio_test(
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
    d = power.log_variance_test(g.normal(0, 1, n), predicted=1.0)["detectable"]
    for factor in (1 + d, 1 / (1 + d)):
        rejected = np.mean(
            [
                not power.passed(power.log_variance_test(g.normal(0, 1, n), predicted=factor))
                for _ in range(1000)
            ]
        )
        assert rejected >= 0.87


def test_pooled_z_beats_the_maximum_on_a_systematic_shift():
    """A shift of one standard deviation on 30 items: invisible to a union-bound maximum, obvious pooled."""
    g = rng(4)
    errors = g.normal(1.0, 1.0, 30)
    assert not power.passed(power.pooled_z_test(errors, np.ones(30)))
    assert np.max(np.abs(errors)) < ex.max_gaussian_quantile(30)


def test_cell_mean_test_with_two_draws_per_cell_and_unequal_variances():
    g = rng(5)
    sds = np.linspace(0.2, 2.0, 12)
    alarms = np.mean(
        [
            not power.passed(power.cell_mean_test([g.normal(0, s, 2) for s in sds], scale=1.0, level=0.05))
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
        power.mean_test(x, predicted=0.0, sd=1.0, scale=1.0),
        power.standardized_mean_test(float(x.sum()), x.size, effect=0.5),
        power.pooled_z_test(e, np.ones(40), scale=np.full(40, 2.0)),
        power.z_square_test(e, np.ones(40)),
        power.variance_test(float(np.sum(e**2)), e.size),
        power.log_variance_test(x, predicted=1.0),
        power.log_variance_ratio_test(x, e, predicted=1.0),
        power.cell_mean_test([x[:20], x[20:]], scale=1.0),
        power.cluster_mean_test(x.reshape(8, 5).sum(axis=1), np.full(8, 5), effect=0.5),
        power.bootstrap_slope(
            [100, 400], [x.reshape(20, 2) ** 2 / 100, e.reshape(20, 2) ** 2 / 400], predicted=-0.5
        )[0],
        power.count_test(3, 3),
    ]
    for spec in specs:
        verdict = check("T0", "a statistic", N=1, **spec)
        assert isinstance(spec, power.VerdictSpec) and spec.passed == power.passed(spec) == verdict.passed
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
        power.mean_test(predicted=0.0, **bad)


# ----------------------------------------------------------------------------- T1


def t1_spectra(N, factor, seed):
    g = rng(seed)
    return {
        e: np.linalg.eigvalsh(wigner(N, sigma=np.sqrt(factor), entries=e, rng=g))
        for e in ("gaussian", "rademacher", "student_t")
    }


def test_t1_power():
    N = 1500
    assert all_pass(ex.semicircle_verdicts(t1_spectra(N, 1.0, 10), sigma=1.0))
    for factor in ALTERNATIVES.values():
        assert not all_pass(ex.semicircle_verdicts(t1_spectra(N, factor, 11), sigma=1.0))
    assert not all_pass(
        ex.semicircle_verdicts(t1_spectra(N, 1.0, 12), sigma=np.sqrt(2.0))
    )  # 2 sigma^2 predicted
    spec = ex.semicircle_verdicts(t1_spectra(N, 1.0, 10), sigma=1.0)[0]
    assert 0.02 < spec["detectable"] < 0.1


@pytest.mark.parametrize("entries", ["gaussian", "rademacher", "uniform", "student_t", "sparse"])
def test_t1_calibrated_at_the_smallest_size(entries):
    """N = 50 (the chapter's minimum), 400 draws per entry law: the largest distance below 0.9 tolerance."""
    g, law, N = rng(13), Semicircle(sigma=1.0), 50
    worst = max(
        kolmogorov_distance(np.linalg.eigvalsh(wigner(N, entries=entries, rng=g)), law) for _ in range(400)
    )
    assert worst < 0.9 * ex.ks_tolerance(N)


# ----------------------------------------------------------------------------- T2


def t2_spectra(N, factor, seed):
    g = rng(seed)
    nus = {"uniform": Uniform(low=-1.0, high=1.0), "two-point": DiscreteLaw([-0.8, 0.8])}
    return nus, {
        name: np.linalg.eigvalsh(deformed_wigner(nu.quantiles(N), sigma=np.sqrt(factor), rng=g))
        for name, nu in nus.items()
    }


def test_t2_power():
    N = 1500
    nus, spectra = t2_spectra(N, 1.0, 20)
    assert all_pass(ex.deformed_verdicts(spectra, nus, sigma=1.0))
    assert not all_pass(ex.deformed_verdicts(spectra, nus, sigma=np.sqrt(2.0)))
    for factor in ALTERNATIVES.values():
        nus, spectra = t2_spectra(N, factor, 21)
        assert not all_pass(ex.deformed_verdicts(spectra, nus, sigma=1.0))


def test_t2_calibrated_at_the_smallest_size():
    g, N = rng(22), 100
    for nu in (Uniform(low=-1.0, high=1.0), DiscreteLaw([-0.8, 0.8])):
        law = FreeConvolutionSemicircle(nu, 1.0)
        worst = max(
            kolmogorov_distance(np.linalg.eigvalsh(deformed_wigner(nu.quantiles(N), rng=g)), law)
            for _ in range(200)
        )
        assert worst < 0.9 * ex.ks_tolerance(N)


# ----------------------------------------------------------------------------- T3


def t3_samples(N, n, seed, factor=1.0, theta=2.0):
    g = rng(seed)
    return {
        basis: pd.DataFrame(
            [ex.spike(N=N, theta=theta, basis=basis, noise_variance_factor=factor, rng=g) for _ in range(n)]
        )
        for basis in ("diagonal", "haar")
    }


def test_t3_power():
    N, n = 200, 200
    null = t3_samples(N, n, 30)
    assert all_pass(ex.spike_verdicts(null, N=N, theta=2.0, sigma=1.0))
    assert not all_pass(ex.spike_verdicts(null, N=N, theta=2.0, sigma=np.sqrt(2.0)))
    for factor in ALTERNATIVES.values():
        assert not all_pass(ex.spike_verdicts(t3_samples(N, n, 31, factor), N=N, theta=2.0, sigma=1.0))
    # the two fluctuation formulas swapped: the basis-vector data with the Haar variance and back
    swapped = {"diagonal": null["haar"], "haar": null["diagonal"]}
    failed = {
        s["quantity"] for s in ex.spike_verdicts(swapped, N=N, theta=2.0, sigma=1.0) if not power.passed(s)
    }
    assert "log of Var(lambda_1) haar / Var(lambda_1) diagonal" in failed
    assert any(q.startswith("log N Var") for q in failed)


def test_t3_calibrated_at_the_smallest_size():
    """fluct_N = 50 and fluct_samples = 10 (the minimum sizes): 150 repetitions, at most one false alarm
    over the 7 verdicts (the level is 1e-3 per verdict; the bias allowances cover N = 50)."""
    alarms = 0
    for rep in range(150):
        specs = ex.spike_verdicts(t3_samples(50, 10, 1000 + rep), N=50, theta=2.0, sigma=1.0)
        alarms += sum(not power.passed(s) for s in specs)
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
            ex.outlier_comparison(N=N, nu=nu, thetas=thetas, sigma=sigma, noise_variance_factor=factor, rng=g)
            for _ in range(seeds)
        ]
        for name, nu in nus.items()
    }


def test_t4_power():
    N = 2000
    null = t4_results(N, 2, 1.0, 40)
    assert all_pass(ex.full_rank_verdicts(null, N=N, sigma=0.5))
    doubled = t4_results(N, 2, 0.5, 42, sigma=0.5 * np.sqrt(2.0))  # same data law, 2 sigma^2 predicted
    assert not all_pass(ex.full_rank_verdicts(doubled, N=N, sigma=0.5 * np.sqrt(2.0)))
    for factor in ALTERNATIVES.values():
        assert not all_pass(ex.full_rank_verdicts(t4_results(N, 2, factor, 41), N=N, sigma=0.5))


def test_t4_calibrated_at_the_smallest_size():
    """N = 200 (the minimum), 40 repetitions of the chapter's three bulks: no false alarm."""
    for rep in range(40):
        specs = ex.full_rank_verdicts(t4_results(200, 1, 1.0, 2000 + rep), N=200, sigma=0.5)
        assert all_pass(specs), [s for s in specs if not power.passed(s)]


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
                {"gamma": M / N, "s": s, **spiked_singular_triplet(N=N, M=M, s=s, sigma=sigma, rng=g)}
                for _ in range(n_seeds)
            ]
    return spectra, pd.DataFrame(records)


def test_t6_power():
    N = 1000
    spectra, draws = t6_data(N, 3, 1.0, 60)
    assert all_pass(ex.rectangular_verdicts(spectra, draws, N=N, sigma=1.0))
    assert not all_pass(ex.rectangular_verdicts(spectra, draws, N=N, sigma=np.sqrt(2.0)))
    for factor in ALTERNATIVES.values():
        spectra, draws = t6_data(N, 3, factor, 61)
        failed = [
            s["quantity"]
            for s in ex.rectangular_verdicts(spectra, draws, N=N, sigma=1.0)
            if not power.passed(s)
        ]
        assert any(q.startswith("BGN") for q in failed) and any(q.startswith("KS") for q in failed)


def test_t6_calibrated_at_the_smallest_size():
    """N = 100 and n_seeds = 2 (the minimum): 40 repetitions, no false alarm; the MP check at n = 50."""
    for rep in range(40):
        specs = ex.rectangular_verdicts(*t6_data(100, 2, 1.0, 3000 + rep), N=100, sigma=1.0)
        assert all_pass(specs), [s for s in specs if not power.passed(s)]
    g, law = rng(62), MarchenkoPastur(gamma=0.5, sigma=1.0)
    worst = max(
        kolmogorov_distance(np.linalg.svd(rectangular_noise(100, 50, rng=g), compute_uv=False) ** 2, law)
        for _ in range(300)
    )
    assert worst < 0.9 * ex.ks_tolerance(50)
