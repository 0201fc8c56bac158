"""Layers that split their parameters over the processes of a distributed
group, as mlx.nn's: tensor-parallel linear layers (plain and quantized),
the helpers that shard existing layers, and fully sharded modules.

On a group of one process every layer computes what its unsharded
counterpart does and draws the same random initial weights as MLX's.
"""

import math
from functools import lru_cache
from typing import Callable, Optional, Union

import cmlx.core as mx
from cmlx.nn.layers.base import Module
from cmlx.nn.layers.linear import Linear
from cmlx.utils import tree_flatten, tree_map_with_path, tree_unflatten


@lru_cache
def sum_gradients(group):
    """The identity whose vjp sums the cotangent over ``group`` (for inputs
    every process holds whole but differentiates only in part)."""
    if group.size() == 1:
        return lambda x: x

    @mx.custom_function
    def identity(x):
        return x

    @identity.vjp
    def identity(x, dx, _):
        return mx.distributed.all_sum(dx, group=group)

    return identity


def _split(weight, segments, axis):
    """mx.split, also taking segments given as fractions of the axis."""
    if isinstance(segments, int) or isinstance(segments[0], int):
        return mx.split(weight, segments, axis=axis)
    n = weight.shape[axis]
    return mx.split(weight, [int(s * n) for s in segments], axis=axis)


def _shard(parameters: dict, sharding_predicate: Callable, group=None):
    """The parameter tree with each array the predicate names cut into
    ``group.size()`` parts along its axis (segment by segment), this
    process keeping part ``group.rank()``."""
    group = group or mx.distributed.init()
    n, r = group.size(), group.rank()

    def shard_one(path, weight):
        if not isinstance(weight, mx.array):
            return weight
        s = sharding_predicate(path, weight)
        if s is None:
            return weight
        if isinstance(s, int):
            axis, segments = s, 1
        elif isinstance(s, tuple):
            axis, segments = s
        else:
            raise ValueError("The sharding function should return int or tuple[int, list]")
        parts = [_split(seg, n, axis)[r] for seg in _split(weight, segments, axis)]
        return mx.contiguous(mx.concatenate(parts, axis=axis))

    return tree_map_with_path(shard_one, parameters)


def _all_to_sharded(segments):
    """Weights cut along their output rows (biases along their only axis)."""

    def predicate(path, weight):
        if path.endswith("bias"):
            return -1, segments
        return max(weight.ndim - 2, 0), segments

    return predicate


def _sharded_to_all(segments):
    """Weights cut along their input columns; biases kept whole."""

    def predicate(path, weight):
        if path.endswith("bias"):
            return None
        return -1, segments

    return predicate


def _check_sharding(sharding):
    if sharding not in ("all-to-sharded", "sharded-to-all"):
        raise ValueError(
            f"Sharding type {sharding=} not supported, "
            "choose one of 'all-to-sharded' or 'sharded-to-all'"
        )


def shard_inplace(
    module: Module,
    sharding: Union[str, Callable],
    *,
    segments: Union[int, list] = 1,
    group=None,
):
    """Replaces the module's parameters by this process's shards of them.

    ``sharding`` is "all-to-sharded", "sharded-to-all" or a callable
    ``(path, weight) -> axis | (axis, segments) | None``; ``segments`` (for
    the strings) is how many equal parts (or which fractions) the unsharded
    weight is made of, e.g. 3 for a fused QKV projection. The module's code
    is unchanged, so it must do its own communication."""
    if isinstance(sharding, str):
        _check_sharding(sharding)
        if sharding == "all-to-sharded":
            sharding = _all_to_sharded(segments)
        else:
            sharding = _sharded_to_all(segments)
    module.update(_shard(module.parameters(), sharding, group))


def shard_linear(
    module: Module,
    sharding: str,
    *,
    segments: Union[int, list] = 1,
    group=None,
):
    """A new sharded layer made from a Linear or QuantizedLinear: one of
    AllToShardedLinear, ShardedToAllLinear or their quantized forms. The
    original layer is left as it is."""
    _check_sharding(sharding)
    plain = isinstance(module, Linear)
    if sharding == "all-to-sharded":
        if plain:
            return AllToShardedLinear.from_linear(module, segments=segments, group=group)
        return QuantizedAllToShardedLinear.from_quantized_linear(
            module, segments=segments, group=group
        )
    if plain:
        return ShardedToAllLinear.from_linear(module, segments=segments, group=group)
    return QuantizedShardedToAllLinear.from_quantized_linear(
        module, segments=segments, group=group
    )


def _init_uniform(input_dims, shape):
    scale = math.sqrt(1.0 / input_dims)
    return mx.random.uniform(low=-scale, high=scale, shape=shape)


class AllToShardedLinear(Module):
    """A linear layer whose outputs are split over the group: each process
    computes ``output_dims // group.size()`` of them from the whole input.
    Gradients of the input are summed over the group.

    Args:
        input_dims (int): input features.
        output_dims (int): output features of the whole layer.
        bias (bool): whether to add a bias. Default: ``True``.
        group (Group, optional): the group to shard across (``None``: the
            global group).
    """

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True, group=None):
        super().__init__()
        self.group = group or mx.distributed.init()
        n = self.group.size()
        if output_dims % n != 0:
            raise ValueError(f"Cannot shard the output of size {output_dims} across {n} devices.")
        self.weight = _init_uniform(input_dims, (output_dims // n, input_dims))
        if bias:
            self.bias = _init_uniform(input_dims, (output_dims // n,))

    def _extra_repr(self) -> str:
        out_dims, in_dims = self.weight.shape
        out_dims *= self.group.size()
        return f"input_dims={in_dims}, output_dims={out_dims}, bias={'bias' in self}"

    def __call__(self, x):
        x = sum_gradients(self.group)(x)
        if "bias" in self:
            return mx.addmm(self["bias"], x, self["weight"].T)
        return x @ self["weight"].T

    @classmethod
    def from_linear(cls, linear_layer: Module, *, segments: Union[int, list] = 1, group=None):
        group = group or mx.distributed.init()
        output_dims, input_dims = linear_layer.weight.shape
        layer = cls(input_dims, output_dims, hasattr(linear_layer, "bias"), group)
        layer.update(_shard(linear_layer.parameters(), _all_to_sharded(segments), group))
        return layer


class ShardedToAllLinear(Module):
    """A linear layer whose inputs are split over the group: each process
    multiplies its ``input_dims // group.size()`` features and the partial
    results are summed over the group, so every process ends with the same
    output.

    Args:
        input_dims (int): input features of the whole layer.
        output_dims (int): output features.
        bias (bool): whether to add a bias. Default: ``True``.
        group (Group, optional): the group to shard across (``None``: the
            global group).
    """

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True, group=None):
        super().__init__()
        self.group = group or mx.distributed.init()
        n = self.group.size()
        if input_dims % n != 0:
            raise ValueError(
                f"The input of size {input_dims} cannot be sharded across {n} devices."
            )
        self.weight = _init_uniform(input_dims, (output_dims, input_dims // n))
        if bias:
            self.bias = _init_uniform(input_dims, (output_dims,))

    def _extra_repr(self) -> str:
        out_dims, in_dims = self.weight.shape
        in_dims *= self.group.size()
        return f"input_dims={in_dims}, output_dims={out_dims}, bias={'bias' in self}"

    def __call__(self, x):
        x = mx.distributed.all_sum(x @ self["weight"].T, group=self.group)
        if "bias" in self:
            x = x + self["bias"]
        return x

    @classmethod
    def from_linear(cls, linear_layer: Module, *, segments: Union[int, list] = 1, group=None):
        group = group or mx.distributed.init()
        output_dims, input_dims = linear_layer.weight.shape
        layer = cls(input_dims, output_dims, hasattr(linear_layer, "bias"), group)
        layer.update(_shard(linear_layer.parameters(), _sharded_to_all(segments), group))
        return layer


class _QuantizedSharded(Module):
    """What the two quantized sharded layers share: the quantization
    settings, frozen parameters and the conversion from QuantizedLinear."""

    _predicate = None

    def _setup(self, group_size, bits, mode, group):
        self.group_size = group_size
        self.bits = bits
        self.mode = mode
        self.group = group or mx.distributed.init()
        return self.group.size()

    def _quantize(self, weight):
        self.weight, self.scales, *biases = mx.quantize(
            weight, self.group_size, self.bits, mode=self.mode
        )
        self.biases = biases[0] if biases else None

    def unfreeze(self, *args, **kwargs):
        """Unfreezes contained layers; this layer's parameters stay frozen."""
        super().unfreeze(*args, **kwargs)
        self.freeze(recurse=False)

    def _matmul(self, x):
        return mx.quantized_matmul(
            x,
            self["weight"],
            scales=self["scales"],
            biases=self.get("biases"),
            transpose=True,
            group_size=self.group_size,
            bits=self.bits,
            mode=self.mode,
        )

    @classmethod
    def from_quantized_linear(
        cls, quantized_linear_layer: Module, *, segments: Union[int, list] = 1, group=None
    ):
        group = group or mx.distributed.init()
        q = quantized_linear_layer
        output_dims, input_dims = q.weight.shape
        input_dims = (input_dims * 32) // q.bits
        layer = cls(
            input_dims,
            output_dims,
            hasattr(q, "bias"),
            group_size=q.group_size,
            bits=q.bits,
            mode=getattr(q, "mode", "affine"),
            group=group,
        )
        layer.update(_shard(q.parameters(), cls._predicate(segments), group))
        return layer


class QuantizedAllToShardedLinear(_QuantizedSharded):
    """AllToShardedLinear with a quantized weight (see
    :func:`cmlx.core.quantize`); its parameters are frozen, as
    QuantizedLinear's.

    Args:
        input_dims (int), output_dims (int), bias (bool): as
            AllToShardedLinear.
        group_size (int): quantization group size. Default: ``64``.
        bits (int): bits per weight. Default: ``4``.
        mode (str): quantization mode. Default: ``"affine"``.
        group (Group, optional): the group to shard across.
    """

    _predicate = staticmethod(_all_to_sharded)

    def __init__(
        self,
        input_dims: int,
        output_dims: int,
        bias: bool = True,
        group_size: int = 64,
        bits: int = 4,
        mode: str = "affine",
        group=None,
    ):
        super().__init__()
        n = self._setup(group_size, bits, mode, group)
        if output_dims % n != 0:
            raise ValueError(f"Cannot shard the output of size {output_dims} across {n} devices.")
        self._quantize(_init_uniform(input_dims, (output_dims // n, input_dims)))
        if bias:
            self.bias = mx.zeros((output_dims // n,))
        self.freeze()

    def _extra_repr(self) -> str:
        out_dims, in_dims = self.weight.shape
        in_dims = (in_dims * 32) // self.bits
        out_dims *= self.group.size()
        return (
            f"input_dims={in_dims}, output_dims={out_dims}, bias={'bias' in self}, "
            f"group_size={self.group_size}, bits={self.bits}, mode={self.mode}"
        )

    def __call__(self, x):
        x = self._matmul(sum_gradients(self.group)(x))
        if "bias" in self:
            x = x + self["bias"]
        return x


class QuantizedShardedToAllLinear(_QuantizedSharded):
    """ShardedToAllLinear with a quantized weight; its parameters are
    frozen, as QuantizedLinear's.

    Args:
        input_dims (int), output_dims (int), bias (bool): as
            ShardedToAllLinear.
        group_size (int): quantization group size. Default: ``64``.
        bits (int): bits per weight. Default: ``4``.
        mode (str): quantization mode. Default: ``"affine"``.
        group (Group, optional): the group to shard across.
    """

    _predicate = staticmethod(_sharded_to_all)

    def __init__(
        self,
        input_dims: int,
        output_dims: int,
        bias: bool = True,
        group_size: int = 64,
        bits: int = 4,
        mode: str = "affine",
        group=None,
    ):
        super().__init__()
        n = self._setup(group_size, bits, mode, group)
        if input_dims % n != 0:
            raise ValueError(
                f"The input of size {input_dims} cannot be sharded across {n} devices."
            )
        self._quantize(_init_uniform(input_dims, (output_dims, input_dims // n)))
        if bias:
            self.bias = mx.zeros((output_dims,))
        self.freeze()

    def _extra_repr(self) -> str:
        out_dims, in_dims = self.weight.shape
        in_dims = (in_dims * 32) // self.bits * self.group.size()
        return (
            f"input_dims={in_dims}, output_dims={out_dims}, bias={'bias' in self}, "
            f"group_size={self.group_size}, bits={self.bits}, mode={self.mode}"
        )

    def __call__(self, x):
        x = mx.distributed.all_sum(self._matmul(x), group=self.group)
        if "bias" in self:
            x = x + self["bias"]
        return x


def _make_gather_fn(group, full_shapes, shard_sizes, compute_dtype):
    """The custom function gathering every parameter's shards (flattened
    into one row per process, one all_gather) back to full shapes; its vjp
    sum-scatters the cotangents and divides by the group size."""
    n = group.size()
    offsets = [0]
    for s in shard_sizes:
        offsets.append(offsets[-1] + s)
    cuts = offsets[1:-1]
    shard_shapes = [(shape[0] // n,) + tuple(shape[1:]) for shape in full_shapes]

    def cast(x, dtype):
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)

    @mx.custom_function
    def gather(shards):
        row = mx.concatenate([cast(s.reshape(1, -1), compute_dtype) for s in shards], axis=1)
        full = mx.distributed.all_gather(row, group=group)
        parts = mx.split(full, cuts, axis=1)
        return [p.reshape(shape) for p, shape in zip(parts, full_shapes)]

    @gather.vjp
    def gather_vjp(shards, cotangents, _):
        rows = mx.concatenate([c.reshape(n, -1) for c in cotangents], axis=1)
        mine = mx.distributed.sum_scatter(rows, group=group) / n
        parts = mx.split(mine, cuts, axis=1)
        return [
            cast(p.reshape(shape), s.dtype) for p, shape, s in zip(parts, shard_shapes, shards)
        ]

    return gather


def _maybe_shard(m, k, v):
    if isinstance(v, FullyShardedModule):
        return False
    return Module.valid_parameter_filter(m, k, v)


class FullyShardedModule(Module):
    """A module each process of the group keeps only a shard of (axis 0 of
    every parameter): the full parameters are gathered for the forward pass
    and the gradients sum-scattered back to the shards, so each process
    stores and updates only its own part. Made by :func:`fully_shard`.

    Args:
        module (Module): the module to shard; every parameter's first axis
            must be divisible by the group size.
        group (Group, optional): the group to shard across.
        compute_dtype (Dtype, optional): the dtype the gathered parameters
            are cast to for the forward pass.
    """

    def __init__(self, module: Module, group=None, compute_dtype=None):
        super().__init__()
        group = group or mx.distributed.init()
        n = group.size()
        params = module.filter_and_map(_maybe_shard)
        flat = tree_flatten(params)
        for path, a in flat:
            if a.ndim == 0:
                raise ValueError(f"Cannot shard parameter '{path}' because it is a scalar.")
            if a.shape[0] % n != 0:
                raise ValueError(
                    f"Cannot shard parameter '{path}' with shape {a.shape} "
                    f"across {n} devices: axis 0 must be divisible by {n}."
                )
        # Kept outside the parameter tree.
        object.__setattr__(self, "_paths", [k for k, _ in flat])
        full_shapes = [a.shape for _, a in flat]
        shard_sizes = [a.size // n for _, a in flat]
        module.update(_shard(params, lambda p, w: 0, group))
        self.module = module
        self._gather_fn = _make_gather_fn(group, full_shapes, shard_sizes, compute_dtype)

    def _extra_repr(self) -> str:
        return f"num_sharded_params={len(self._paths)}"

    def _gathered_call(self, fn, *args, **kwargs):
        shard_tree = self.module.filter_and_map(_maybe_shard)
        shards = [a for _, a in tree_flatten(shard_tree)]
        fulls = self._gather_fn(shards)
        self.module.update(tree_unflatten(list(zip(self._paths, fulls))))
        try:
            return fn(*args, **kwargs)
        finally:
            self.module.update(shard_tree)

    def __call__(self, *args, **kwargs):
        return self._gathered_call(self.module, *args, **kwargs)

    def as_linear(self, *args, **kwargs):
        return self._gathered_call(self.module.as_linear, *args, **kwargs)


def fully_shard(module: Module, *, group=None, compute_dtype=None) -> Module:
    """``module`` wrapped in a :class:`FullyShardedModule`, or unchanged on
    a group of one process, when already wrapped, or without parameters."""
    group = group or mx.distributed.init()
    if group.size() == 1 or isinstance(module, FullyShardedModule):
        return module
    wrapped = FullyShardedModule(module, group=group, compute_dtype=compute_dtype)
    return wrapped if wrapped._paths else module
