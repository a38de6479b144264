"""rmtlib: eigenvalues of deformed Wigner matrices ``H = R/sqrt(N) + S``.

The numerical companion to Afanasiev, Berlyand, Kiyashko, arXiv:2507.12182.
Public names are re-exported here from the modules that define them; each
module lists its own in ``__all__``.
"""

from . import (
    free_convolution,
    group_threshold,
    information_plus_noise,
    laws,
    network,
    outliers,
    pruning,
    samplers,
    spectra,
    tracy_widom,
    tridiagonal,
    verdict,
)
from .free_convolution import *  # noqa: F401,F403
from .group_threshold import *  # noqa: F401,F403
from .information_plus_noise import *  # noqa: F401,F403
from .laws import *  # noqa: F401,F403
from .network import *  # noqa: F401,F403
from .outliers import *  # noqa: F401,F403
from .pruning import *  # noqa: F401,F403
from .samplers import *  # noqa: F401,F403
from .spectra import *  # noqa: F401,F403
from .tracy_widom import *  # noqa: F401,F403
from .tridiagonal import *  # noqa: F401,F403
from .verdict import *  # noqa: F401,F403

__version__ = "0.1.0"

__all__ = [
    *information_plus_noise.__all__,
    *laws.__all__,
    *free_convolution.__all__,
    *group_threshold.__all__,
    *network.__all__,
    *outliers.__all__,
    *pruning.__all__,
    *samplers.__all__,
    *spectra.__all__,
    *tracy_widom.__all__,
    *tridiagonal.__all__,
    *verdict.__all__,
]
