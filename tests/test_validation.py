import numpy as np
import pytest

import rmtlib
from rmtlib import _validation as v


def test_generator_required():
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        v.check_generator(42)
    rng = np.random.default_rng(0)
    assert v.check_generator(rng) is rng


@pytest.mark.parametrize(("value", "error"), [(True, TypeError), (2.0, TypeError), (1, ValueError)])
def test_int_checks(value, error):
    with pytest.raises(error, match="N must"):
        v.check_int(value, "N", minimum=2)


def test_int_accepts_numpy_integers():
    assert v.check_int(np.int64(5), "N", minimum=2) == 5


@pytest.mark.parametrize("value", [0.0, -1.0, float("inf"), float("nan")])
def test_positive_real(value):
    with pytest.raises(ValueError, match="sigma must"):
        v.check_real(value, "sigma", positive=True)


def test_weights():
    np.testing.assert_allclose(v.check_weights([0.25, 0.75], "weights", 2), [0.25, 0.75])
    with pytest.raises(ValueError, match="weights must sum to 1"):
        v.check_weights([0.5, 0.6], "weights", 2)
    with pytest.raises(ValueError, match="weights must be nonnegative"):
        v.check_weights([1.5, -0.5], "weights", 2)
    with pytest.raises(ValueError, match="one per atom"):
        v.check_weights([1.0], "weights", 2)


def test_symmetric():
    with pytest.raises(ValueError, match="S must be square"):
        v.check_symmetric(np.ones((2, 3)), "S")
    with pytest.raises(ValueError, match="S must be symmetric"):
        v.check_symmetric([[0.0, 1.0], [0.0, 0.0]], "S")
    with pytest.raises(TypeError, match="S must be an array of numbers"):
        v.check_symmetric([["a", "b"], ["c", "d"]], "S")


@pytest.mark.parametrize("where", [(0, 1), (299, 0), (5, 298), (130, 257), (128, 255)])
def test_symmetric_finds_one_asymmetric_entry_in_any_tile(where):
    # N = 300 is not a multiple of the 128-wide tiles: the ragged edge tiles count too
    A = np.random.default_rng(0).standard_normal((300, 300))
    A = A + A.T
    assert v.check_symmetric(A, "S") is not None
    A[where] += 1e-6
    with pytest.raises(ValueError, match=r"max \|A - A\^T\| = 1e-06"):
        v.check_symmetric(A, "S")
    assert v._max_asymmetry(A) == pytest.approx(1e-6, rel=1e-6)
    assert v._max_asymmetry(A, tile=7) == pytest.approx(1e-6, rel=1e-6)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_one_non_finite_entry_is_refused(bad):
    A = np.eye(200)
    A[150, 3] = A[3, 150] = bad
    with pytest.raises(ValueError, match="S must contain only finite values"):
        v.check_symmetric(A, "S")
    with pytest.raises(ValueError, match="x must contain only finite values"):
        v.check_array([1.0, bad], "x")


def test_choice():
    with pytest.raises(ValueError, match=r"entries must be one of \['a', 'b'\], got 'c'"):
        v.check_choice("c", "entries", {"a", "b"})


# ------------------------------------------------- complex input (never cut to its real part)
HERMITIAN = np.array([[2, 1j], [-1j, 2]])  # eigenvalues 1 and 3; its real part has 2 and 2


@pytest.mark.parametrize(
    "call",
    [
        lambda: rmtlib.top_eigvalsh(HERMITIAN, 2),
        lambda: rmtlib.top_eigvalsh(HERMITIAN, 2, check=False),
        lambda: rmtlib.eigvalsh_outside(HERMITIAN, (-1, 1), check=False),
        lambda: rmtlib.deformed_wigner(HERMITIAN, rng=np.random.default_rng(0)),
        lambda: rmtlib.deformed_wigner([1.0, 2j], rng=np.random.default_rng(0)),
        lambda: rmtlib.DiscreteLaw([0.0, 1j]),
        lambda: rmtlib.DiscreteLaw([0.0, 1.0], weights=[0.5 + 0j, 0.5]),
        lambda: rmtlib.predict_outliers([3.0 + 1j], rmtlib.DiscreteLaw([0.0]), 1.0),
        lambda: rmtlib.predict_singular_outliers([2.0 + 0j], gamma=1.0, sigma=1.0),
        lambda: rmtlib.noise_level(np.ones((30, 30)) * (1 + 1j)),
        lambda: rmtlib.prune(np.ones((30, 30)) * (1 + 1j), sigma=1.0),
        lambda: rmtlib.Semicircle(1.0).cdf([0.5j]),
        lambda: rmtlib.Network(weights=(np.eye(2),), biases=(np.zeros(2),)).predict([[1j, 0.0]]),
    ],
)
def test_complex_input_is_refused_not_cut_to_its_real_part(call):
    with pytest.raises(TypeError, match="must be real, got complex values"):
        call()


def test_complex_refusal_names_the_parameter_and_keeps_real_input():
    with pytest.raises(TypeError, match=r"^H must be real"):
        v.check_array(HERMITIAN, "H")
    with pytest.raises(TypeError, match="x must be real"):
        v.check_array(np.array([1.0, 2.0], dtype=object) + np.array([0, 1j], dtype=object), "x")
    assert v.check_array([1, 2], "x").dtype == float  # integers and real floats still pass
    assert v.as_real_array(np.zeros(3, dtype=np.float32), "x").dtype == float


def test_the_stieltjes_transform_still_takes_complex_points():
    assert complex(rmtlib.Semicircle(1.0).stieltjes(1j)) == pytest.approx(0.6180339887498949j)


@pytest.mark.parametrize("value", [1e-101, 1e101, 1e300])
def test_scales_whose_squares_leave_the_float_range_are_refused(value):
    with pytest.raises(ValueError, match="leaves the floating-point range"):
        v.check_scale(value, "sigma")
    assert v.check_scale(1e99, "sigma") == 1e99
