"""cmlx: MLX, the array framework for machine learning, written in C.

``import cmlx.core as mx`` gives the array type and the ops, with the same
names, signatures and behaviour as ``mlx.core``.
"""

__version__ = "0.1.0"
