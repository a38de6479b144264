"""rmtlib: eigenvalues of deformed Wigner matrices ``H = R/sqrt(N) + S``.

The numerical companion to Afanasiev, Berlyand, Kiyashko, arXiv:2507.12182.
Public names are re-exported here from the modules that define them; each
module lists its own in ``__all__``.
"""

from . import (
    backend,
    information_plus_noise,
    laws,
    network,
    outliers,
    pruning,
    samplers,
    spectra,
    tridiagonal,
    verdict,
)
from .backend import *  # noqa: F401,F403
from .information_plus_noise import *  # noqa: F401,F403
from .laws import *  # noqa: F401,F403
from .network import *  # noqa: F401,F403
from .outliers import *  # noqa: F401,F403
from .pruning import *  # noqa: F401,F403
from .samplers import *  # noqa: F401,F403
from .spectra import *  # noqa: F401,F403
from .tridiagonal import *  # noqa: F401,F403
from .verdict import *  # noqa: F401,F403

__version__ = "0.1.0"

__all__ = [
    *backend.__all__,
    *information_plus_noise.__all__,
    *laws.__all__,
    *network.__all__,
    *outliers.__all__,
    *pruning.__all__,
    *samplers.__all__,
    *spectra.__all__,
    *tridiagonal.__all__,
    *verdict.__all__,
]
