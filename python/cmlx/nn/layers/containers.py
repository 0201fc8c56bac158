"""Sequential, as mlx.nn."""

from cmlx.nn.layers.base import Module


class Sequential(Module):
    """Calls ``modules`` (any callables) in order, each on the previous
    result. They are kept in ``layers``."""

    def __init__(self, *modules):
        super().__init__()
        self.layers = list(modules)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
