"""Packing structured parameters into the flat vector and back (property-based)."""

from __future__ import annotations

from collections import namedtuple

import hypothesis.extra.numpy as hnp
import numpy as np
import optree
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import extopt
from extopt._tree import Packer
from extopt.backends import get_backend

Pair = namedtuple("Pair", "first second")

DTYPES = st.sampled_from([np.float64, np.float32, np.int64, np.int32])


def numpy_leaves():
    arrays = DTYPES.flatmap(
        lambda dt: hnp.arrays(
            dt,
            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
            elements=st.integers(-100, 100)
            if np.dtype(dt).kind == "i"
            else st.floats(-1e3, 1e3, width=np.dtype(dt).itemsize * 8),
        )
    )
    scalars = st.floats(-1e6, 1e6) | st.integers(-1000, 1000)
    return arrays | scalars


def trees(leaves):
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=3)
            | st.lists(children, max_size=3).map(tuple)
            | st.dictionaries(st.text("abcxyz", min_size=1, max_size=3), children, max_size=3)
            | st.tuples(children, children).map(lambda t: Pair(*t))
        ),
        max_leaves=8,
    )


def _assert_same_tree(got, want):
    got_leaves, got_def = optree.tree_flatten(got)
    want_leaves, want_def = optree.tree_flatten(want)
    assert got_def == want_def
    for g, w in zip(got_leaves, want_leaves, strict=True):
        if isinstance(w, int | float):
            assert type(g) is float and g == float(w)
        else:
            assert isinstance(g, np.ndarray)
            assert g.shape == w.shape
            want_dtype = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
            assert g.dtype == want_dtype
            np.testing.assert_array_equal(g, w.astype(want_dtype))


@settings(max_examples=200, deadline=None)
@given(trees(numpy_leaves()))
def test_numpy_round_trip_keeps_structure_shapes_dtypes_and_values(tree):
    backend = get_backend("numpy")
    packer, flat = Packer.from_tree(backend, tree, "x0")
    assert flat.dtype == np.float64
    assert flat.size == sum(np.size(leaf) for leaf in optree.tree_leaves(tree))
    _assert_same_tree(packer.unpack(flat), tree)
    np.testing.assert_array_equal(packer.pack(tree), flat)


@settings(max_examples=100, deadline=None)
@given(trees(numpy_leaves()), st.randoms(use_true_random=False))
def test_pack_inverts_unpack_for_any_flat_vector(tree, rnd):
    backend = get_backend("numpy")
    packer, _ = Packer.from_tree(backend, tree, "x0")
    x = np.array([rnd.uniform(-5, 5) for _ in range(packer.size)])
    back = packer.pack(packer.unpack(x))
    want = x.copy()
    for spec in packer.leaves:  # float32 leaves round to float32, the rest is exact
        part = slice(spec.offset, spec.stop)
        want[part] = x[part].astype(spec.out_dtype).astype(np.float64)
    np.testing.assert_array_equal(back, want)


def test_flat_order_is_the_registry_leaf_order_row_major():
    tree = {"b": np.arange(6.0).reshape(2, 3), "a": [1.0, np.array([7.0, 8.0])]}
    packer, flat = Packer.from_tree(get_backend("numpy"), tree, "x0")
    # dict keys sorted, lists in order, arrays row-major
    np.testing.assert_array_equal(flat, [1.0, 7.0, 8.0, 0, 1, 2, 3, 4, 5])
    assert packer.locate(4) == "x0['b'][0, 1]"
    assert packer.locate(0) == "x0['a'][0]"


def test_none_leaves_are_empty_subtrees():
    res = extopt.minimize(
        lambda p: (p["a"] - 2.0) ** 2,
        {"a": 0.0, "unused": None},
        jac=lambda p: {"a": 2 * (p["a"] - 2.0), "unused": None},
    )
    assert res.x["unused"] is None and abs(res.x["a"] - 2.0) < 1e-8


@settings(max_examples=50, deadline=None)
@given(
    trees(
        hnp.arrays(
            np.float32,
            hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
            elements=st.floats(-10, 10, width=32),
        )
    )
)
def test_jax_round_trip_gives_jax_arrays_back(tree):
    jax = pytest.importorskip("jax")
    jtree = jax.tree_util.tree_map(jax.numpy.asarray, tree)
    backend = get_backend("jax")
    packer, flat = Packer.from_tree(backend, jtree, "x0")
    out = packer.unpack(flat)
    assert jax.tree_util.tree_structure(out) == jax.tree_util.tree_structure(jtree)
    for g, w in zip(jax.tree_util.tree_leaves(out), jax.tree_util.tree_leaves(jtree), strict=True):
        assert isinstance(g, jax.Array) and g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


def test_jax_registered_nodes_work_as_parameters():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy

    @jax.tree_util.register_pytree_node_class
    class Affine:
        def __init__(self, scale, shift):
            self.scale, self.shift = scale, shift

        def tree_flatten(self):
            return (self.scale, self.shift), None

        @classmethod
        def tree_unflatten(cls, aux, children):
            return cls(*children)

    xs = jnp.linspace(-1.0, 1.0, 20)
    ys = 3.0 * xs - 0.5

    def loss(p):
        return jnp.sum((p.scale * xs + p.shift - ys) ** 2)

    res = extopt.minimize(loss, Affine(jnp.array(1.0), jnp.array(0.0)))
    assert isinstance(res.x, Affine) and isinstance(res.jac, Affine)
    np.testing.assert_allclose([float(res.x.scale), float(res.x.shift)], [3.0, -0.5], atol=1e-5)


def test_complex_and_boolean_leaves_are_refused_by_name():
    with pytest.raises(extopt.InputError, match=r"x0\['z'\] has complex dtype"):
        extopt.minimize(lambda p: 0.0, {"z": np.ones(2, dtype=complex)})
    with pytest.raises(extopt.InputError, match=r"x0\[1\] is a boolean"):
        extopt.minimize(lambda p: 0.0, [1.0, True])
    with pytest.raises(extopt.InputError, match=r"x0\['s'\] is 'text'"):
        extopt.minimize(lambda p: 0.0, {"s": "text"})


def test_jax_leaves_keep_float32_subnormals():
    """Many JAX leaves are cut in one compiled call; the values, subnormals
    included, are exactly the ones given."""
    jax = pytest.importorskip("jax")
    tiny = np.float32(4.35232e-40)  # subnormal in float32
    jtree = {k: jax.numpy.asarray(np.full(3, tiny, np.float32)) for k in "abc"}
    packer, flat = Packer.from_tree(get_backend("jax"), jtree, "x0")
    out = packer.unpack(flat)
    for k in "abc":
        assert out[k].dtype == np.float32
        np.testing.assert_array_equal(np.asarray(out[k]), np.full(3, tiny, np.float32))
