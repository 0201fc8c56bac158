"""Dropout layers, as mlx.nn. They act only in training mode."""

import cmlx.core as mx
from cmlx.nn.layers.base import Module


class _DropoutBase(Module):
    _ndims = ()  # accepted input ranks; empty means any
    _shared = 0  # trailing spatial axes that share one mask value

    def __init__(self, p: float = 0.5):
        super().__init__()
        if p < 0 or p >= 1:
            raise ValueError(f"The dropout probability {p} is not in [0, 1)")
        self._p_1 = 1 - p

    def _extra_repr(self) -> str:
        return f"p={1 - self._p_1}"

    def __call__(self, x: mx.array) -> mx.array:
        if self._ndims and x.ndim not in self._ndims:
            want = " or ".join(str(n) for n in self._ndims)
            raise ValueError(f"Received input with {x.ndim} dimensions. Expected {want} dimensions.")
        if self._p_1 == 1 or not self.training:
            return x
        shape = list(x.shape)
        for i in range(2, 2 + self._shared):
            shape[-i] = 1
        keep = mx.random.bernoulli(p=self._p_1, shape=shape)
        return (keep * x) * (1 / self._p_1)


class Dropout(_DropoutBase):
    r"""Zeroes each element with probability ``p`` and scales the rest by
    :math:`1/(1-p)`."""


class Dropout2d(_DropoutBase):
    r"""Zeroes whole channels of ``NWHC``/``WHC`` inputs with probability
    ``p``."""

    _ndims = (3, 4)
    _shared = 2


class Dropout3d(_DropoutBase):
    r"""Zeroes whole channels of ``NDHWC``/``DHWC`` inputs with probability
    ``p``."""

    _ndims = (4, 5)
    _shared = 3
