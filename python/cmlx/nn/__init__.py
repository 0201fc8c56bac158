"""cmlx.nn: neural network layers, losses and initialisers, as mlx.nn.

Pure Python over cmlx.core; class names, arguments, defaults and parameter
names are MLX 0.32's, so weights move between the two unchanged.
"""

from cmlx.nn import init, losses
from cmlx.nn.layers import *  # noqa: F401,F403
from cmlx.nn.utils import average_gradients, checkpoint, value_and_grad
