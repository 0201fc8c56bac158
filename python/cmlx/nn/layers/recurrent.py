"""RNN, GRU and LSTM over ``(N, L, D)`` or ``(L, D)`` inputs, as mlx.nn."""

import math
from typing import Callable, Optional

import cmlx.core as mx
from cmlx.nn.layers.activations import tanh
from cmlx.nn.layers.base import Module


def _uniform(k, *shape):
    return mx.random.uniform(low=-k, high=k, shape=shape)


def _project(x, w, b):
    return mx.addmm(b, x, w.T) if b is not None else x @ w.T


class RNN(Module):
    r"""Elman RNN: :math:`h_t = f(W_{xh} x_t + b + W_{hh} h_{t-1})` with
    ``nonlinearity`` ``f`` (tanh by default). Returns all hidden states."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: Optional[Callable] = None):
        super().__init__()
        self.nonlinearity = nonlinearity or tanh
        if not callable(self.nonlinearity):
            raise ValueError(f"Nonlinearity must be callable. Current value: {nonlinearity}.")
        k = 1.0 / math.sqrt(hidden_size)
        self.hidden_size = hidden_size
        self.Wxh = _uniform(k, hidden_size, input_size)
        self.Whh = _uniform(k, hidden_size, hidden_size)
        self.bias = _uniform(k, hidden_size) if bias else None

    def _extra_repr(self):
        return (
            f"input_dims={self.Wxh.shape[1]}, hidden_size={self.hidden_size}, "
            f"nonlinearity={self.nonlinearity}, bias={self.bias is not None}"
        )

    def __call__(self, x, hidden=None):
        xp = _project(x, self.Wxh, self.bias)
        outs = []
        for t in range(xp.shape[-2]):
            step = xp[..., t, :]
            pre = mx.addmm(step, hidden, self.Whh.T) if hidden is not None else step
            hidden = self.nonlinearity(pre)
            outs.append(hidden)
        return mx.stack(outs, axis=-2)


class GRU(Module):
    r"""Gated recurrent unit (gates ordered r, z, n as in PyTorch; ``bhn``
    is the hidden bias of the candidate). Returns all hidden states."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.hidden_size = hidden_size
        k = 1.0 / math.sqrt(hidden_size)
        self.Wx = _uniform(k, 3 * hidden_size, input_size)
        self.Wh = _uniform(k, 3 * hidden_size, hidden_size)
        self.b = _uniform(k, 3 * hidden_size) if bias else None
        self.bhn = _uniform(k, hidden_size) if bias else None

    def _extra_repr(self):
        return f"input_dims={self.Wx.shape[1]}, hidden_size={self.hidden_size}, bias={self.b is not None}"

    def __call__(self, x, hidden=None):
        H = self.hidden_size
        xp = _project(x, self.Wx, self.b)
        x_rz, x_n = xp[..., :-H], xp[..., -H:]
        outs = []
        for t in range(xp.shape[-2]):
            rz = x_rz[..., t, :]
            if hidden is not None:
                hp = hidden @ self.Wh.T
                h_rz, h_n = hp[..., :-H], hp[..., -H:]
                if self.bhn is not None:
                    h_n = h_n + self.bhn
                rz = rz + h_rz
            r, z = mx.split(mx.sigmoid(rz), 2, axis=-1)
            n = x_n[..., t, :]
            if hidden is not None:
                n = n + r * h_n
            elif self.bhn is not None:
                n = n + r * self.bhn
            n = mx.tanh(n)
            hidden = (1 - z) * n + z * hidden if hidden is not None else (1 - z) * n
            outs.append(hidden)
        return mx.stack(outs, axis=-2)


class LSTM(Module):
    r"""Long short-term memory (gates ordered i, f, g, o). Returns all
    hidden states and all cell states."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.hidden_size = hidden_size
        k = 1.0 / math.sqrt(hidden_size)
        self.Wx = _uniform(k, 4 * hidden_size, input_size)
        self.Wh = _uniform(k, 4 * hidden_size, hidden_size)
        self.bias = _uniform(k, 4 * hidden_size) if bias else None

    def _extra_repr(self):
        return f"input_dims={self.Wx.shape[1]}, hidden_size={self.hidden_size}, bias={self.bias is not None}"

    def __call__(self, x, hidden=None, cell=None):
        xp = _project(x, self.Wx, self.bias)
        hs, cs = [], []
        for t in range(xp.shape[-2]):
            gates = xp[..., t, :]
            if hidden is not None:
                gates = mx.addmm(gates, hidden, self.Wh.T)
            i, f, g, o = mx.split(gates, 4, axis=-1)
            i, f, g, o = mx.sigmoid(i), mx.sigmoid(f), mx.tanh(g), mx.sigmoid(o)
            cell = f * cell + i * g if cell is not None else i * g
            hidden = o * mx.tanh(cell)
            hs.append(hidden)
            cs.append(cell)
        return mx.stack(hs, axis=-2), mx.stack(cs, axis=-2)
