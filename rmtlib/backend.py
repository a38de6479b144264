"""Optional accelerator backend for the heavy dense linear algebra.

The library never needs a GPU. ``backend="numpy"`` (LAPACK through numpy) is
always available; ``"torch"`` and ``"cupy"`` are imported only when asked for,
and ``"auto"`` picks a CUDA device when one of them is installed *and* sees a
GPU, and numpy otherwise. All backends compute in float64 and return numpy
arrays, so results can be compared to 1e-10 relative.
"""

from __future__ import annotations

import importlib
import importlib.util

import numpy as np

from ._validation import check_choice, check_symmetric

__all__ = ["available_backends", "dense_eigvalsh"]

_BACKENDS = ("auto", "numpy", "torch", "cupy")


def _cuda_backend(name: str) -> bool:
    """True when package ``name`` is installed and sees a CUDA device (imports it only then)."""
    if importlib.util.find_spec(name) is None:
        return False
    module = importlib.import_module(name)
    try:
        if name == "torch":
            return bool(module.cuda.is_available())
        return module.cuda.runtime.getDeviceCount() > 0
    except Exception:  # a driver or runtime error means: no usable device
        return False


def available_backends() -> list[str]:
    """Backends usable on this machine, numpy first.

    Examples
    --------
    >>> available_backends()[0]
    'numpy'
    """
    return ["numpy"] + [name for name in ("torch", "cupy") if _cuda_backend(name)]


def dense_eigvalsh(H, *, backend: str = "auto", check: bool = True) -> np.ndarray:
    """All eigenvalues (ascending, float64) of the symmetric matrix ``H``.

    Parameters
    ----------
    H : array_like, shape (N, N)
        Real symmetric matrix.
    backend : {"auto", "numpy", "torch", "cupy"}
        ``"auto"`` uses a CUDA device through torch or cupy when one is
        available, numpy otherwise. Asking for ``"torch"``/``"cupy"`` without
        the package or a device raises ``RuntimeError`` with the reason.
    check : bool
        Validate that ``H`` is finite and symmetric (an O(N^2) pass).

    Examples
    --------
    >>> dense_eigvalsh([[2.0, 1.0], [1.0, 2.0]], backend="numpy")
    array([1., 3.])
    """
    check_choice(backend, "backend", _BACKENDS)
    H = check_symmetric(H, "H") if check else np.asarray(H, dtype=float)
    if backend == "auto":
        backend = next((b for b in ("torch", "cupy") if _cuda_backend(b)), "numpy")
    if backend == "numpy":
        return np.linalg.eigvalsh(H)
    if not _cuda_backend(backend):
        raise RuntimeError(
            f"backend={backend!r} needs the {backend} package and a CUDA device; "
            f"available here: {available_backends()}"
        )
    module = importlib.import_module(backend)
    if backend == "torch":
        values = module.linalg.eigvalsh(module.as_tensor(H, dtype=module.float64, device="cuda"))
        return values.cpu().numpy()
    return module.asnumpy(module.linalg.eigvalsh(module.asarray(H, dtype=module.float64)))
