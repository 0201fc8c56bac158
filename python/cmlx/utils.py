"""Helpers over Python trees (nested lists, tuples and dicts), as mlx.utils.

A tree's leaves are whatever is not a list, tuple or dict (or what
``is_leaf`` says is a leaf). Paths join keys and list indices with dots,
e.g. ``"layers.0.weight"``.
"""

from collections import defaultdict
from itertools import zip_longest
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

__all__ = [
    "tree_map",
    "tree_map_with_path",
    "tree_flatten",
    "tree_unflatten",
    "tree_reduce",
    "tree_merge",
]


def _rebuild(like, items):
    """A sequence of ``like``'s type holding ``items`` (namedtuples take
    their fields positionally)."""
    kind = type(like)
    if hasattr(like, "_fields"):
        return kind(*items)
    return kind(items)


def tree_map(fn: Callable, tree: Any, *rest: Any, is_leaf: Optional[Callable] = None) -> Any:
    """Applies ``fn`` to the leaves of ``tree`` and returns a tree of the
    results. The trees in ``rest`` must contain ``tree``'s structure; their
    matching leaves (or subtrees) are passed as extra arguments."""
    if is_leaf is not None and is_leaf(tree):
        return fn(tree, *rest)
    if isinstance(tree, (list, tuple)):
        return _rebuild(
            tree,
            [
                tree_map(fn, child, *(r[i] for r in rest), is_leaf=is_leaf)
                for i, child in enumerate(tree)
            ],
        )
    if isinstance(tree, dict):
        return {
            key: tree_map(fn, child, *(r[key] for r in rest), is_leaf=is_leaf)
            for key, child in tree.items()
        }
    return fn(tree, *rest)


def tree_map_with_path(
    fn: Callable,
    tree: Any,
    *rest: Any,
    is_leaf: Optional[Callable] = None,
    path: Optional[Any] = None,
) -> Any:
    """Like :func:`tree_map`, but ``fn`` gets the leaf's dotted path first."""
    if is_leaf is not None and is_leaf(tree):
        return fn(path, tree, *rest)
    lead = f"{path}." if path else ""
    if isinstance(tree, (list, tuple)):
        return _rebuild(
            tree,
            [
                tree_map_with_path(
                    fn, child, *(r[i] for r in rest), is_leaf=is_leaf, path=f"{lead}{i}"
                )
                for i, child in enumerate(tree)
            ],
        )
    if isinstance(tree, dict):
        return {
            key: tree_map_with_path(
                fn, child, *(r[key] for r in rest), is_leaf=is_leaf, path=f"{lead}{key}"
            )
            for key, child in tree.items()
        }
    return fn(path, tree, *rest)


def tree_flatten(
    tree: Any,
    prefix: str = "",
    is_leaf: Optional[Callable] = None,
    destination: Optional[Union[List[Tuple[str, Any]], Dict[str, Any]]] = None,
) -> Union[List[Tuple[str, Any]], Dict[str, Any]]:
    """Flattens ``tree`` into ``(path, leaf)`` pairs, appended to
    ``destination`` (a new list by default, or a dict). The first character
    of ``prefix`` is dropped from every path."""
    if destination is None:
        destination = []
    if isinstance(destination, list):
        add = destination.append
    elif isinstance(destination, dict):

        def add(pair):
            destination[pair[0]] = pair[1]

    else:
        raise ValueError("Destination should be either a list or a dictionary or None")

    def walk(node, where):
        if is_leaf is not None and is_leaf(node):
            add((where[1:], node))
        elif isinstance(node, (list, tuple)):
            for i, child in enumerate(node):
                walk(child, f"{where}.{i}")
        elif isinstance(node, dict):
            for key, child in node.items():
                walk(child, f"{where}.{key}")
        else:
            add((where[1:], node))

    walk(tree, prefix)
    return destination


def tree_unflatten(tree: Union[List[Tuple[str, Any]], Dict[str, Any]]) -> Any:
    """Rebuilds a tree from ``(path, value)`` pairs (a list or a dict).
    Levels whose keys are all integers become lists; gaps are filled with
    empty dicts."""
    pairs = list(tree.items()) if isinstance(tree, dict) else list(tree)
    if len(pairs) == 1 and pairs[0][0] == "":
        return pairs[0][1]

    groups = defaultdict(list)
    for key, value in pairs:
        head, _, tail = key.partition(".")
        groups[head].append((tail, value))

    indices = {}
    for head in groups:
        try:
            indices[int(head)] = head
        except ValueError:
            indices = None
            break
    if indices is not None and len(indices) == len(groups):
        out = []
        for index in sorted(indices):
            while len(out) < index:
                out.append({})
            out.append(tree_unflatten(groups[indices[index]]))
        return out
    return {head: tree_unflatten(sub) for head, sub in groups.items()}


def tree_reduce(fn, tree, initializer=None, is_leaf=None):
    """Folds ``fn(accumulator, leaf)`` over the leaves of ``tree``, starting
    from ``initializer`` (or the first leaf when it is None)."""
    if is_leaf is not None and is_leaf(tree):
        return tree if initializer is None else fn(initializer, tree)
    if isinstance(tree, (list, tuple)):
        children = tree
    elif isinstance(tree, dict):
        children = tree.values()
    else:
        return tree if initializer is None else fn(initializer, tree)
    acc = initializer
    for child in children:
        acc = tree_reduce(fn, child, acc, is_leaf)
    return acc


def _is_empty_node(x):
    return isinstance(x, (dict, list, tuple)) and len(x) == 0


def tree_merge(tree_a, tree_b, merge_fn=None):
    """Deep-merges two trees. Empty containers count as absent subtrees; a
    leaf present in both needs ``merge_fn(a, b)``."""
    if _is_empty_node(tree_a) and _is_empty_node(tree_b):
        if type(tree_a) is not type(tree_b):
            raise ValueError(f"Cannot merge {type(tree_a).__name__} with {type(tree_b).__name__}")
        return type(tree_a)()
    a = None if _is_empty_node(tree_a) else tree_a
    b = None if _is_empty_node(tree_b) else tree_b
    if b is None:
        return a
    if a is None:
        return b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return _rebuild(a, [tree_merge(x, y, merge_fn) for x, y in zip_longest(a, b)])
    if isinstance(a, dict) and isinstance(b, dict):
        keys = list(a.keys()) + [k for k in b.keys() if k not in a]
        return {k: tree_merge(a.get(k), b.get(k), merge_fn) for k in keys}
    if merge_fn is None:
        raise ValueError(
            "Trees contain elements at the same locations but no merge function was provided"
        )
    return merge_fn(a, b)
