"""cmlx.utils: tree helpers, against hand-written expectations and real
mlx.utils."""
from collections import namedtuple

import pytest

import cmlx.core as mx
from cmlx.utils import tree_flatten, tree_map, tree_map_with_path, tree_merge, tree_reduce, tree_unflatten
from nn_helpers import needs_mlx, rutils

TREE = {"a": [1, 2, {"b": 3}], "c": (4, 5), "d": {"e": {"f": 6}}}


def test_tree_map_structure_and_rest():
    assert tree_map(lambda x: x * 10, TREE) == {"a": [10, 20, {"b": 30}], "c": (40, 50), "d": {"e": {"f": 60}}}
    assert tree_map(lambda x, y: x + y, [1, (2, 3)], [10, (20, 30)]) == [11, (22, 33)]
    # rest may hold subtrees where tree has leaves
    assert tree_map(lambda x, y: (x, y), {"a": 1}, {"a": [1, 2]}) == {"a": (1, [1, 2])}


def test_tree_map_is_leaf_and_namedtuple():
    P = namedtuple("P", "x y")
    out = tree_map(lambda v: v + 1, P(1, [2]))
    assert isinstance(out, P) and out == P(2, [3])
    out = tree_map(lambda v: sum(v), {"a": [1, 2], "b": [3]}, is_leaf=lambda v: isinstance(v, list))
    assert out == {"a": 3, "b": 3}
    with pytest.raises(KeyError):
        tree_map(lambda x, y: x, {"a": 1}, {"b": 1})


def test_tree_map_with_path():
    paths = []
    tree_map_with_path(lambda p, v: paths.append((p, v)), {"model": [{"w": 0, "b": 1}, {"w": 2}]})
    assert paths == [("model.0.w", 0), ("model.0.b", 1), ("model.1.w", 2)]
    assert tree_map_with_path(lambda p, v: p, [5], path="top") == ["top.0"]
    assert tree_map_with_path(lambda p, v: p, 7) is None


def test_tree_flatten_and_destination():
    flat = tree_flatten(TREE)
    assert flat == [("a.0", 1), ("a.1", 2), ("a.2.b", 3), ("c.0", 4), ("c.1", 5), ("d.e.f", 6)]
    assert tree_flatten([[[0]]]) == [("0.0.0", 0)]
    assert tree_flatten([[[0]]], prefix=".hello") == [("hello.0.0.0", 0)]
    assert tree_flatten({"a": {"b": 1}}, destination={}) == {"a.b": 1}
    assert tree_flatten(3) == [("", 3)]
    assert tree_flatten({"a": [1, 2]}, is_leaf=lambda v: isinstance(v, list)) == [("a", [1, 2])]
    with pytest.raises(ValueError):
        tree_flatten(TREE, destination=set())


def test_tree_unflatten_roundtrip_and_lists():
    t = {"a": [1, 2, {"b": 3}], "d": {"e": {"f": 6}}}
    assert tree_unflatten(tree_flatten(t)) == t
    assert tree_unflatten(dict(tree_flatten(t))) == t
    assert tree_unflatten([("hello.world", 42)]) == {"hello": {"world": 42}}
    assert tree_unflatten([("", 5)]) == 5
    # gaps in list indices are filled with empty dicts, order is by index
    assert tree_unflatten([("l.2", "c"), ("l.0", "a")]) == {"l": ["a", {}, "c"]}
    assert tree_unflatten([("0", 1), ("x", 2)]) == {"0": 1, "x": 2}


def test_tree_reduce():
    assert tree_reduce(lambda acc, x: acc + x, {"a": [1, 2, 3], "b": [4, 5]}, 0) == 15
    assert tree_reduce(lambda acc, x: acc + x, [1, [2, (3,)]]) == 6
    assert tree_reduce(lambda acc, x: acc * x, 4, 2) == 8
    assert tree_reduce(lambda acc, x: acc + len(x), {"a": [1, 2], "b": [3]}, 0, is_leaf=lambda v: isinstance(v, list)) == 3
    total = tree_reduce(lambda acc, x: acc + x.sum(), {"w": mx.ones((2, 2)), "b": [mx.ones(3)]}, 0.0)
    assert total.item() == 7.0


def test_tree_merge():
    a = {"x": 1, "l": [1, {}], "e": {}}
    b = {"y": 2, "l": [{}, 2], "e": {}}
    assert tree_merge(a, b) == {"x": 1, "l": [1, 2], "e": {}, "y": 2}
    assert tree_merge({"a": 1}, {"a": 2}, lambda u, v: u + v) == {"a": 3}
    with pytest.raises(ValueError, match="merge function"):
        tree_merge({"a": 1}, {"a": 2})
    with pytest.raises(ValueError, match="Cannot merge"):
        tree_merge([], {})
    assert tree_merge([1], [None, 2]) == [1, 2]


@needs_mlx
def test_matches_real_mlx_utils():
    trees = [TREE, [[[0]]], {"a": [{}, {"b": [1, 2]}]}, {"a": 1, "b": [2, {"c": 3}]}]
    for t in trees:
        assert tree_flatten(t) == rutils.tree_flatten(t)
        flat = tree_flatten(t)
        assert tree_unflatten(flat) == rutils.tree_unflatten(flat)
        assert tree_map(lambda v: v, t) == rutils.tree_map(lambda v: v, t)
        assert tree_reduce(lambda a, v: a + [v], t, []) == rutils.tree_reduce(lambda a, v: a + [v], t, [])
    m1, m2 = {"a": [1, {}], "b": {"c": 2}}, {"a": [{}, 3], "b": {"d": 4}}
    assert tree_merge(m1, m2) == rutils.tree_merge(m1, m2)
