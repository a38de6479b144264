import numpy as np
import pytest

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
