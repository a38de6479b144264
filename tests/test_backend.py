import importlib.machinery
import sys
import types

import numpy as np
import pytest

from rmtlib import backend


def _symmetric(n, seed=0):
    a = np.random.default_rng(seed).standard_normal((n, n))
    return (a + a.T) / 2


def test_numpy_backend_matches_lapack():
    H = _symmetric(50)
    np.testing.assert_allclose(backend.dense_eigvalsh(H, backend="numpy"), np.linalg.eigvalsh(H), rtol=1e-12)


def test_auto_without_a_gpu_is_numpy(monkeypatch):
    monkeypatch.setattr(backend, "_cuda_backend", lambda name: False)
    H = _symmetric(20, seed=1)
    np.testing.assert_array_equal(backend.dense_eigvalsh(H), np.linalg.eigvalsh(H))
    assert backend.available_backends() == ["numpy"]


def test_asking_for_a_missing_backend_says_why(monkeypatch):
    monkeypatch.setattr(backend, "_cuda_backend", lambda name: False)
    with pytest.raises(RuntimeError, match="needs the cupy package and a CUDA device"):
        backend.dense_eigvalsh(np.eye(3), backend="cupy")


def test_torch_dispatch_uses_float64_on_cuda(monkeypatch):
    """A stand-in torch module records what the backend asks of it."""
    calls = {}
    fake = types.ModuleType("torch")
    fake.__spec__ = importlib.machinery.ModuleSpec("torch", None)
    fake.float64 = "float64"
    fake.cuda = types.SimpleNamespace(is_available=lambda: True)

    class Tensor:
        def __init__(self, a):
            self.a = a

        def cpu(self):
            return self

        def numpy(self):
            return self.a

    def as_tensor(a, dtype, device):
        calls.update(dtype=dtype, device=device)
        return Tensor(np.asarray(a, dtype=np.float64))

    fake.as_tensor = as_tensor
    fake.linalg = types.SimpleNamespace(eigvalsh=lambda t: Tensor(np.linalg.eigvalsh(t.a)))
    monkeypatch.setitem(sys.modules, "torch", fake)
    H = _symmetric(30, seed=2)
    out = backend.dense_eigvalsh(H, backend="auto")
    assert calls == {"dtype": "float64", "device": "cuda"}
    np.testing.assert_allclose(out, np.linalg.eigvalsh(H), rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"H": np.eye(3), "backend": "jax"}, ValueError, "backend must be one of"),
        ({"H": np.array([[1.0, 2.0], [0.0, 1.0]])}, ValueError, "H must be symmetric"),
        ({"H": np.array([[1.0, np.nan], [np.nan, 1.0]])}, ValueError, "H must contain only finite"),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        backend.dense_eigvalsh(**kwargs)
