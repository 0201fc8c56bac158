"""cmlx: MLX, the array framework for machine learning, written in C.

``import cmlx.core as mx`` gives the array type and the ops, with the same
names, signatures and behaviour as ``mlx.core``.
"""

__version__ = "0.1.0"

from . import core as _core  # noqa: E402
from . import _compat  # noqa: E402

_compat.install(_core)


def install_as_mlx():
    """Makes ``import mlx.core``, ``mlx.nn``, ``mlx.optimizers`` and
    ``mlx.utils`` give cmlx's modules, so programs written for MLX run on
    cmlx unchanged. Call it before anything imports ``mlx``. Returns the
    module registered as ``mlx``."""
    import importlib
    import sys
    import types

    core = importlib.import_module("cmlx.core")
    nn = importlib.import_module("cmlx.nn")
    optimizers = importlib.import_module("cmlx.optimizers")
    utils = importlib.import_module("cmlx.utils")

    pkg = types.ModuleType("mlx")
    pkg.__doc__ = "cmlx standing in for mlx (cmlx.install_as_mlx)."
    pkg.__path__ = []
    pkg.core, pkg.nn, pkg.optimizers, pkg.utils = core, nn, optimizers, utils
    sys.modules["mlx"] = pkg
    sys.modules["mlx.core"] = core
    sys.modules["mlx.nn"] = nn
    sys.modules["mlx.optimizers"] = optimizers
    sys.modules["mlx.utils"] = utils
    for sub in ("random", "linalg", "fft", "fast", "metal", "cuda", "distributed"):
        if hasattr(core, sub):
            sys.modules[f"mlx.core.{sub}"] = getattr(core, sub)
    # Every loaded submodule (mlx.nn.layers.base, mlx.optimizers.schedulers,
    # ...) under its mlx name too, so deep imports work.
    for name in [n for n in sys.modules if n.startswith(("cmlx.nn.", "cmlx.optimizers."))]:
        sys.modules["mlx." + name[len("cmlx."):]] = sys.modules[name]
    return pkg
