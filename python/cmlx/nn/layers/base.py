"""Module: the base class of every layer, as mlx.nn.Module.

A Module is a dict: its arrays, lists and dicts (and sub-modules, which are
dicts too) are items, so parameters form a tree that ``tree_flatten`` and
the optimizers walk. Everything else (ints, callables, None) is a plain
attribute.
"""

from __future__ import annotations

import textwrap
from typing import Any, Callable, List, Optional, Tuple, Union

import cmlx.core as mx
from cmlx.utils import tree_flatten, tree_unflatten


def _is_tree_value(v):
    return isinstance(v, (mx.array, dict, list, tuple))


class Module(dict):
    """Base class for building neural networks."""

    __call__: Callable

    def __init__(self):
        self._no_grad = set()
        self._training = True

    @property
    def training(self):
        """Whether the module is in training mode."""
        return self._training

    @property
    def state(self):
        """The module's state dict (the module itself): parameters and any
        other array members, including private ones."""
        return self

    def _extra_repr(self) -> str:
        return ""

    def __repr__(self):
        kids = tree_flatten(self.children(), is_leaf=self.is_module)
        text = f"{type(self).__name__}({self._extra_repr()}"
        for path, mod in kids:
            text += "\n" + textwrap.indent(f"({path}): {mod!r}", "  ")
        if kids:
            text += "\n"
        return text + ")"

    def __getattr__(self, key: str):
        value = self.get(key, None)
        if value is not None:
            return value
        # Raises the usual AttributeError.
        return super().__getattribute__(key)

    def __setattr__(self, key: str, val: Any):
        if _is_tree_value(val):
            if key not in self and key in self.__dict__:
                del self.__dict__[key]
            self[key] = val
        else:
            super().__setattr__(key, val)
            self.pop(key, None)

    def __delattr__(self, name):
        if self.get(name, None) is not None:
            del self[name]
        else:
            super().__delattr__(name)

    # ----------------------------------------------------------- weights IO
    def load_weights(
        self,
        file_or_weights: Union[str, List[Tuple[str, mx.array]]],
        strict: bool = True,
    ) -> Module:
        """Loads weights from a ``.npz``/``.safetensors`` file or a list of
        ``(path, array)`` pairs. With ``strict`` the names and shapes must
        match the model's parameters exactly."""
        weights = file_or_weights
        if isinstance(weights, str):
            weights = list(mx.load(weights).items())
        if strict:
            new = dict(weights)
            cur = tree_flatten(self.parameters(), destination={})
            extra = new.keys() - cur.keys()
            if extra:
                names = ",\n".join(sorted(extra))
                raise ValueError(f"Received {len(extra)} parameters not in model: \n{names}.")
            missing = cur.keys() - new.keys()
            if missing:
                names = ",\n".join(sorted(missing))
                raise ValueError(f"Missing {len(missing)} parameters: \n{names}.")
            for name, old in cur.items():
                got = new[name]
                if not isinstance(got, mx.array):
                    raise ValueError(
                        f"Expected mx.array but received {type(got)} for parameter {name}"
                    )
                if got.shape != old.shape:
                    raise ValueError(
                        f"Expected shape {old.shape} but received shape {got.shape} "
                        f"for parameter {name}"
                    )
        if len(weights) != 0:
            self.update(tree_unflatten(weights), strict=False)
        return self

    def save_weights(self, file: str):
        """Saves the parameters to ``.npz`` or ``.safetensors``."""
        flat = tree_flatten(self.parameters(), destination={})
        if file.endswith(".npz"):
            mx.savez(file, **flat)
        elif file.endswith(".safetensors"):
            if not hasattr(mx, "save_safetensors"):
                raise ValueError(
                    "Saving .safetensors needs cmlx.core.save_safetensors, not available yet."
                )
            mx.save_safetensors(file, flat)
        else:
            raise ValueError(f"Unsupported file extension for {file}. Use '.npz' or '.safetensors'.")

    # -------------------------------------------------------------- filters
    @staticmethod
    def is_module(value):
        return isinstance(value, Module)

    @staticmethod
    def valid_child_filter(module, key, value):
        return isinstance(value, (dict, list))

    @staticmethod
    def valid_parameter_filter(module, key, value):
        return isinstance(value, (dict, list, mx.array)) and not key.startswith("_")

    @staticmethod
    def trainable_parameter_filter(module, key, value):
        return Module.valid_parameter_filter(module, key, value) and key not in module._no_grad

    def filter_and_map(
        self,
        filter_fn: Callable[[Module, str, Any], bool],
        map_fn: Optional[Callable] = None,
        is_leaf_fn: Optional[Callable[[Module, str, Any], bool]] = None,
    ):
        """Walks the module tree keeping members for which
        ``filter_fn(module, key, value)`` holds and applying ``map_fn`` to
        the leaves (``is_leaf_fn`` decides; default: not a Module, dict or
        list)."""
        if map_fn is None:
            map_fn = _identity
        if is_leaf_fn is None:
            is_leaf_fn = _default_is_leaf
        return {
            k: _walk(self, k, v, filter_fn, map_fn, is_leaf_fn)
            for k, v in self.items()
            if filter_fn(self, k, v)
        }

    def parameters(self):
        """All parameters as a tree of dicts and lists."""
        return self.filter_and_map(self.valid_parameter_filter)

    def trainable_parameters(self):
        """The parameters that are not frozen."""
        return self.filter_and_map(self.trainable_parameter_filter)

    def children(self):
        """The direct sub-modules."""
        return self.filter_and_map(self.valid_child_filter, is_leaf_fn=_is_module_leaf)

    def leaf_modules(self):
        """The sub-modules that have no sub-modules."""

        def is_leaf(m, k, v):
            return isinstance(v, Module) and len(tree_flatten(v.children())) == 0

        return self.filter_and_map(self.valid_child_filter, is_leaf_fn=is_leaf)

    # ------------------------------------------------------------- updating
    def update(self, parameters: dict, strict: bool = True) -> Module:
        """Replaces parameters by those in ``parameters`` (a tree shaped like
        :meth:`parameters`). With ``strict``, unknown names and non-array
        values for array members are errors."""
        _update_params(self, parameters, strict)
        return self

    def apply(
        self,
        map_fn: Callable[[mx.array], mx.array],
        filter_fn: Optional[Callable[[Module, str, Any], bool]] = None,
    ) -> Module:
        """Maps the (filtered, by default all) parameters with ``map_fn``
        and updates the module in place."""
        self.update(self.filter_and_map(filter_fn or Module.valid_parameter_filter, map_fn))
        return self

    def update_modules(self, modules: dict, strict: bool = True) -> Module:
        """Replaces sub-modules by those in ``modules``."""
        _update_mods(self, modules, strict)
        return self

    def apply_to_modules(self, apply_fn: Callable[[str, Module], Any]) -> Module:
        """Calls ``apply_fn(path, module)`` for this module and all below."""
        stack = [("", self)]
        while stack:
            path, mod = stack.pop()
            apply_fn(path, mod)
            lead = "." + path if path else ""
            stack.extend(tree_flatten(mod.children(), prefix=lead, is_leaf=self.is_module))
        return self

    def modules(self):
        """This module and every sub-module, as a list."""
        out = []
        self.apply_to_modules(lambda _, m: out.append(m))
        return out

    def named_modules(self):
        """``(path, module)`` for this module and every sub-module."""
        out = []
        self.apply_to_modules(lambda p, m: out.append((p, m)))
        return out

    # ------------------------------------------------------------- freezing
    def _validate_keys(self, keys, strict):
        keys = keys if isinstance(keys, list) else [keys]
        if strict:
            for k in keys:
                if k not in self:
                    raise KeyError(f"Module doesn't contain member {k}.")
        return keys

    def _validate_keys_recursive(self, keys):
        keys = keys if isinstance(keys, list) else [keys]
        mods = self.modules()
        for k in keys:
            if not any(k in m for m in mods):
                raise KeyError(f"Module doesn't contain member {k}.")

    def freeze(
        self,
        *,
        recurse: bool = True,
        keys: Optional[Union[str, List[str]]] = None,
        strict: bool = False,
    ) -> Module:
        """Freezes parameters (all, or the named ``keys``) so that
        :meth:`trainable_parameters` leaves them out."""

        def freeze_one(_, m):
            chosen = keys
            if chosen is None:
                own = m.filter_and_map(
                    lambda mm, k, v: not isinstance(v, Module) and mm.valid_parameter_filter(mm, k, v)
                )
                chosen = [k for k, _ in tree_flatten(own)]
            m._no_grad.update(m._validate_keys(chosen, strict_now))

        strict_now = strict
        if recurse:
            if strict and keys is not None:
                self._validate_keys_recursive(keys)
                strict_now = False
            self.apply_to_modules(freeze_one)
        else:
            freeze_one("", self)
        return self

    def unfreeze(
        self,
        *,
        recurse: bool = True,
        keys: Optional[Union[str, List[str]]] = None,
        strict: bool = False,
    ) -> Module:
        """Undoes :meth:`freeze` for all or the named ``keys``."""

        def unfreeze_one(_, m):
            if keys is None:
                m._no_grad.clear()
            else:
                m._no_grad.difference_update(m._validate_keys(keys, strict_now))

        strict_now = strict
        if recurse:
            if strict and keys is not None:
                self._validate_keys_recursive(keys)
                strict_now = False
            self.apply_to_modules(unfreeze_one)
        else:
            unfreeze_one("", self)
        return self

    # ---------------------------------------------------------------- modes
    def _set_training_mode(self, mode: bool) -> None:
        self._training = mode

    def train(self, mode: bool = True) -> Module:
        """Sets training mode on this module and all below."""
        self.apply_to_modules(lambda _, m: m._set_training_mode(mode))
        return self

    def eval(self) -> Module:
        """Sets evaluation mode (``train(False)``)."""
        return self.train(False)

    def set_dtype(
        self,
        dtype: mx.Dtype,
        predicate: Optional[Callable[[mx.Dtype], bool]] = lambda x: mx.issubdtype(x, mx.floating),
    ):
        """Casts the parameters whose dtype satisfies ``predicate`` (by
        default floating ones; None means all) to ``dtype``."""
        keep = predicate if predicate is not None else (lambda _: True)
        self.apply(lambda x: x.astype(dtype) if keep(x.dtype) else x)


def _identity(x):
    return x


def _default_is_leaf(m, k, v):
    return not isinstance(v, (Module, dict, list))


def _is_module_leaf(m, k, v):
    return isinstance(v, Module)


def _walk(owner, key, value, filter_fn, map_fn, is_leaf_fn):
    if is_leaf_fn(owner, key, value):
        return map_fn(value)
    if isinstance(value, Module):
        return {
            k: _walk(value, k, v, filter_fn, map_fn, is_leaf_fn)
            for k, v in value.items()
            if filter_fn(value, k, v)
        }
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            sub = f"{key}.{k}"
            out[k] = _walk(owner, sub, v, filter_fn, map_fn, is_leaf_fn) if filter_fn(owner, sub, v) else {}
        return out
    if isinstance(value, list):
        out = []
        for i, v in enumerate(value):
            sub = f"{key}.{i}"
            out.append(_walk(owner, sub, v, filter_fn, map_fn, is_leaf_fn) if filter_fn(owner, sub, v) else {})
        return out
    raise RuntimeError("Unexpected leaf found while traversing the module")


def _update_params(dst, src, strict):
    if isinstance(src, dict):
        pairs = ((k, k in dst) for k in src)
    elif isinstance(src, list):
        pairs = ((i, i < len(dst)) for i in range(len(src)))
    else:
        if strict:
            raise ValueError(f"Received invalid type: {type(src).__name__}.")
        return
    for k, present in pairs:
        if not present:
            if strict:
                if isinstance(src, dict):
                    raise ValueError(f'Module does not have parameter named "{k}".')
                raise ValueError(
                    f"List index {k} is out of bounds for destination of length {len(dst)}."
                )
            continue
        cur, new = dst[k], src[k]
        if isinstance(cur, mx.array):
            if strict and not isinstance(new, mx.array):
                raise ValueError(f"Received invalid type: {type(new).__name__}.")
            dst[k] = new
        else:
            _update_params(cur, new, strict)


def _update_mods(dst, src, strict):
    if isinstance(src, dict):
        pairs = ((k, k in dst) for k in src)
    elif isinstance(src, list):
        pairs = ((i, i < len(dst)) for i in range(len(src)))
    else:
        if strict:
            raise ValueError(f"Received invalid type: {type(src).__name__}.")
        return
    for k, present in pairs:
        if not present:
            if strict:
                if isinstance(src, dict):
                    raise ValueError(f'Module does not have sub-module named "{k}".')
                raise ValueError(
                    f"List index {k} is out of bounds for destination of length {len(dst)}."
                )
            continue
        cur, new = dst[k], src[k]
        if isinstance(cur, Module) and isinstance(new, Module):
            dst[k] = new
        elif isinstance(cur, (dict, list)):
            _update_mods(cur, new, strict)
        elif strict and new != {}:
            raise ValueError(f"Received invalid type: {type(new).__name__}.")
