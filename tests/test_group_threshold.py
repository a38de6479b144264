"""The separation threshold of a group of equal outliers (rmtlib.group_threshold)."""

import numpy as np
import pytest
from numpy.polynomial import Polynomial

from rmtlib import group_separation_threshold, single_spike_threshold
from rmtlib.free_convolution import FreeConvolutionSemicircle
from rmtlib.information_plus_noise import InformationPlusNoise
from rmtlib.laws import DiscreteLaw, Uniform


def square_closed_form(kappa, sigma):
    """Zero bulk: min over u in (0, theta) of sigma^2 [(1 - kappa)/u^2 + kappa/(theta - u)^2] = 1."""
    return sigma * ((1 - kappa) ** (1 / 3) + kappa ** (1 / 3)) ** 1.5


def rectangular_polynomial_threshold(kappa, sigma, gamma):
    """Zero bulk, solved apart from the library: Z' times its denominator is a polynomial in u; the
    group separates when it has real roots with q > 0 between 0 and s^2 (two of them, merging at
    the threshold). Bisection on s^2 over that root count."""
    s2 = sigma**2 * min(gamma, 1.0)
    c = s2 * (max(gamma, 1.0 / gamma) - 1.0)
    u = Polynomial([0.0, 1.0])

    def separated(theta):
        d = u * (theta - u)
        nq = d + s2 * (1 - kappa) * (theta - u) - s2 * kappa * u  # q = nq / d
        p = u * nq**2 + c * nq * d  # Z = p / d^2
        roots = (p.deriv() * d - 2 * p * d.deriv()).roots()
        real = roots[np.abs(roots.imag) < 1e-7].real
        real = real[(real > 0) & (real < theta)]
        return np.count_nonzero(nq(real) > 0) >= 2

    lo, hi = sigma**2 * np.sqrt(gamma), 10.0 * sigma**2 * (1 + gamma)
    assert not separated(lo) and separated(hi)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if separated(mid) else (mid, hi)
    return float(np.sqrt(0.5 * (lo + hi)))


def bisect_components(n_components, lo, hi, iterations):
    """The strength where the support of the law goes from one component to two."""
    assert n_components(lo) == 1 and n_components(hi) == 2
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if n_components(mid) >= 2 else (mid, hi)
    return 0.5 * (lo + hi)


@pytest.mark.parametrize("kappa", [1e-8, 1e-4, 0.01, 0.1, 0.3, 0.5])
@pytest.mark.parametrize("sigma", [0.5, 1.0, 3.0])
def test_square_zero_bulk_matches_closed_form(kappa, sigma):
    assert group_separation_threshold(kappa, sigma=sigma) == pytest.approx(
        square_closed_form(kappa, sigma), rel=1e-12
    )


@pytest.mark.parametrize("gamma", [0.25, 1.0, 2.0, 4.0])
@pytest.mark.parametrize("kappa", [1e-4, 0.1, 0.5])
def test_rectangular_zero_bulk_matches_polynomial_system(gamma, kappa):
    got = group_separation_threshold(kappa, sigma=1.3, model="rectangular", gamma=gamma)
    assert got == pytest.approx(rectangular_polynomial_threshold(kappa, 1.3, gamma), rel=1e-10)


def test_small_kappa_tends_to_single_spike_thresholds():
    assert single_spike_threshold(sigma=2.0) == pytest.approx(2.0, rel=1e-14)
    for gamma in (0.25, 1.0, 3.0):
        bbp = 2.0 * gamma**0.25
        assert single_spike_threshold(sigma=2.0, model="rectangular", gamma=gamma) == pytest.approx(
            bbp, rel=1e-13
        )
        gaps = [
            group_separation_threshold(k, sigma=2.0, model="rectangular", gamma=gamma) - bbp
            for k in (1e-12, 1e-9)
        ]
        assert 0 < gaps[0] < gaps[1] < 0.02 * bbp
    assert 0 < group_separation_threshold(1e-12, sigma=2.0) - 2.0 < 4e-4  # (3/2) sigma kappa^(1/3) = 3e-4
    # a full-rank bulk: Uniform(-1, 1) has its critical point at sqrt(1 + sigma^2)
    assert single_spike_threshold(sigma=1.0, bulk=Uniform(-1.0, 1.0)) == pytest.approx(
        np.sqrt(2.0), rel=1e-13
    )
    assert group_separation_threshold(1e-12, sigma=1.0, bulk=Uniform(-1.0, 1.0)) - np.sqrt(2) < 1e-3


@pytest.mark.parametrize("gamma", [0.5, 1.0, 3.0])
def test_small_kappa_constant_of_the_cusp_expansion(gamma):
    """s_c - sigma gamma^(1/4) ~ C kappa^(1/3), C = (3/4) sigma gamma^(-1/12) (1 + sqrt(gamma))^(2/3) for
    gamma >= 1 (transpose otherwise); square: (3/2) sigma."""
    sigma = 1.5
    g = max(gamma, 1 / gamma)
    sig = sigma if gamma >= 1 else sigma * np.sqrt(gamma)
    const = 0.75 * sig * g ** (-1 / 12) * (1 + np.sqrt(g)) ** (2 / 3)
    k = 1e-9
    got = group_separation_threshold(k, sigma=sigma, model="rectangular", gamma=gamma) - sigma * gamma**0.25
    assert got / k ** (1 / 3) == pytest.approx(const, rel=3e-3)
    assert (group_separation_threshold(k, sigma=sigma) - sigma) / k ** (1 / 3) == pytest.approx(
        1.5 * sigma, rel=3e-3
    )


def test_square_full_rank_bulk_agrees_with_bisection_on_support_components():
    bulk = DiscreteLaw(np.linspace(-1.0, 1.0, 201))
    for kappa in (0.01, 0.3):

        def n_components(theta, kappa=kappa):
            nu = DiscreteLaw(np.r_[bulk.atoms, theta], np.r_[(1 - kappa) * bulk.weights, kappa])
            return len(FreeConvolutionSemicircle(nu, 1.0).support())

        expected = bisect_components(n_components, 1.0, 4.0, 50)
        assert group_separation_threshold(kappa, sigma=1.0, bulk=bulk) == pytest.approx(expected, abs=1e-12)


def test_rectangular_agrees_with_bisection_on_support_components():
    full_rank = DiscreteLaw(np.linspace(0.0, 1.0, 101) ** 2)
    for bulk, gamma, kappa in ((full_rank, 0.5, 0.1), (full_rank, 2.0, 0.3), (DiscreteLaw([0.0]), 2.0, 0.1)):

        def n_components(s, bulk=bulk, gamma=gamma, kappa=kappa):
            law = DiscreteLaw(np.r_[bulk.atoms, s**2], np.r_[(1 - kappa) * bulk.weights, kappa])
            return len(InformationPlusNoise(law, gamma=gamma, sigma=1.0).support())

        expected = bisect_components(n_components, 1.0, 4.0, 45)
        got = group_separation_threshold(kappa, sigma=1.0, model="rectangular", gamma=gamma, bulk=bulk)
        assert got == pytest.approx(expected, abs=1e-10)


def test_threshold_increases_with_kappa_up_to_one_half():
    kappas = np.linspace(0.01, 0.5, 12)
    for kw in ({}, {"model": "rectangular", "gamma": 2.0}):
        values = [group_separation_threshold(k, sigma=1.0, **kw) for k in kappas]
        assert np.all(np.diff(values) > 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kappa": 0.0, "sigma": 1.0}, "kappa"),
        ({"kappa": 1.0, "sigma": 1.0}, "kappa"),
        ({"kappa": -0.1, "sigma": 1.0}, "kappa"),
        ({"kappa": 0.1, "sigma": 0.0}, "sigma"),
        ({"kappa": 0.1, "sigma": -1.0}, "sigma"),
        ({"kappa": 0.1, "sigma": 1.0, "bulk": [0.0, 1.0]}, "bulk"),
        ({"kappa": 0.1, "sigma": 1.0, "model": "circle"}, "model"),
        ({"kappa": 0.1, "sigma": 1.0, "model": "rectangular"}, "gamma"),
        ({"kappa": 0.1, "sigma": 1.0, "model": "rectangular", "gamma": -2.0}, "gamma"),
        ({"kappa": 0.1, "sigma": 1.0, "gamma": 2.0}, "gamma"),
        ({"kappa": 0.1, "sigma": 1.0, "model": "rectangular", "gamma": 2.0, "bulk": Uniform(0, 1)}, "bulk"),
        (
            {"kappa": 0.1, "sigma": 1.0, "model": "rectangular", "gamma": 2.0, "bulk": DiscreteLaw([-1.0])},
            "bulk",
        ),
    ],
)
def test_bad_input_names_the_parameter(kwargs, match):
    kappa = kwargs.pop("kappa")
    with pytest.raises((TypeError, ValueError), match=match) as info:
        group_separation_threshold(kappa, **kwargs)
    assert "\n" not in str(info.value)


def test_full_rank_bulk_small_kappa_constant_from_the_cusp_expansion():
    """Uniform(-1, 1) bulk: u* = sqrt(1 + sigma^2), alpha = H''(u*) = 2 sigma^2 u* / (u*^2 - 1)^2 and
    theta_c - u* ~ (3/2) (2 sigma^2 kappa / alpha)^(1/3)."""
    sigma, kappa = 0.8, 1e-9
    u_star = np.sqrt(1 + sigma**2)
    alpha = 2 * sigma**2 * u_star / (u_star**2 - 1) ** 2
    const = 1.5 * (2 * sigma**2 / alpha) ** (1 / 3)
    got = group_separation_threshold(kappa, sigma=sigma, bulk=Uniform(-1.0, 1.0)) - u_star
    assert got / kappa ** (1 / 3) == pytest.approx(const, rel=2e-3)
