"""Packing a user's structured parameters into the one flat float64 vector
extopt works with, and unpacking it back into the user's structure and leaf
types.

The tree itself (which containers exist, in which order their leaves come) is
the backend's business: `jax.tree_util` for JAX, so user-registered nodes work,
and `optree` elsewhere. A `Packer` only records, per leaf, where its elements
live in the flat vector and how to rebuild the leaf.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import InputError

if TYPE_CHECKING:
    from .backends._base import Backend


@dataclass(frozen=True)
class LeafSpec:
    """Where one leaf lives in the flat vector and how to rebuild it.

    `dtype` is the floating dtype the leaf is evaluated in and `out_dtype` the
    one it is rebuilt in (the leaf's own; float64 for integers); `kind` says
    which type to rebuild ("python", "numpy", "numpy-scalar" or a backend's
    own kind); `meta` carries what a backend needs beyond that (a device, ...).
    """

    path: str
    shape: tuple[int, ...]
    dtype: np.dtype
    kind: str
    offset: int
    out_dtype: np.dtype
    meta: Any = None

    @cached_property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @cached_property
    def stop(self) -> int:
        return self.offset + self.size


class Packer:
    """Flat float64 vector <-> the user's pytree, for one fixed structure."""

    def __init__(self, backend: Backend, treedef: Any, leaves: Sequence[LeafSpec], what: str):
        self.backend = backend
        self.treedef = treedef
        self.leaves: tuple[LeafSpec, ...] = tuple(leaves)
        self.what = what
        self.size = self.leaves[-1].stop if self.leaves else 0
        self.shapes = tuple(leaf.shape for leaf in self.leaves)
        self._single = len(self.leaves) == 1

    # -- construction -------------------------------------------------------------
    @classmethod
    def from_tree(cls, backend: Backend, tree: Any, what: str) -> tuple[Packer, np.ndarray]:
        """The packer for `tree`'s structure and `tree` packed into float64.

        `what` names the argument in error messages ("x0", "the output of
        equalities[1]", ...).
        """
        flat, treedef = backend.flatten_with_path(tree)
        infos = [(path, backend.leaf_spec(leaf, f"{what}{path}")) for path, leaf in flat]
        packer = cls.from_infos(backend, treedef, infos, what)
        return packer, packer._concat([backend.to_numpy(leaf) for _, leaf in flat])

    @classmethod
    def from_infos(cls, backend: Backend, treedef: Any, infos, what: str) -> Packer:
        """A packer from (path, `LeafInfo`) of each leaf, in order."""
        specs = []
        offset = 0
        for path, info in infos:
            spec = LeafSpec(
                path,
                tuple(int(d) for d in info.shape),
                info.dtype,
                info.kind,
                offset,
                info.out_dtype,
                info.meta,
            )
            specs.append(spec)
            offset = spec.stop
        return cls(backend, treedef, specs, what)

    @classmethod
    def from_specs(cls, backend: Backend, treedef: Any, shapes_dtypes, what: str, kind: str):
        """A packer from known (path, shape, dtype, out_dtype) of each leaf (for
        outputs seen only abstractly)."""
        specs = []
        offset = 0
        for path, shape, dtype, out_dtype in shapes_dtypes:
            spec = LeafSpec(
                path,
                tuple(int(s) for s in shape),
                np.dtype(dtype),
                kind,
                offset,
                np.dtype(out_dtype),
            )
            specs.append(spec)
            offset = spec.stop
        return cls(backend, treedef, specs, what)

    # -- flat <-> tree ------------------------------------------------------------
    def _concat(self, arrays: Sequence[np.ndarray]) -> np.ndarray:
        out = np.empty(self.size, dtype=np.float64)
        for spec, array in zip(self.leaves, arrays, strict=True):
            out[spec.offset : spec.stop] = np.asarray(array, dtype=np.float64).reshape(-1)
        return out

    def pack(self, tree: Any, what: str | None = None) -> np.ndarray:
        """`tree` (with this packer's structure) as one flat float64 vector."""
        what = what or self.what
        leaves = self.backend.flatten_up_to(self.treedef, tree, what)
        arrays = []
        for spec, leaf in zip(self.leaves, leaves, strict=True):
            array = self.backend.to_numpy(leaf)
            if array.shape != spec.shape:
                if array.size == spec.size and self._single:
                    array = array.reshape(spec.shape)
                else:
                    raise InputError(
                        f"{what}{spec.path} has shape {array.shape}; it must have the shape "
                        f"of {self.what}{spec.path}, {spec.shape}."
                    )
            arrays.append(array)
        return self._concat(arrays)

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        """The flat vector cut into NumPy arrays of the leaves' shapes (views)."""
        return [flat[spec.offset : spec.stop].reshape(spec.shape) for spec in self.leaves]

    def unpack(self, flat: np.ndarray) -> Any:
        """The flat vector as the user's tree, leaves of the user's types and dtypes.

        A complex vector (a complex-step probe) gives complex leaves."""
        if np.iscomplexobj(flat):
            leaves = [np.asarray(flat[s.offset : s.stop]).reshape(s.shape) for s in self.leaves]
            return self.backend.unflatten(self.treedef, leaves)
        leaves = self.backend.leaves_from_flat(np.asarray(flat, dtype=np.float64), self.leaves)
        return self.backend.unflatten(self.treedef, leaves)

    def unpack_eval(self, flat: np.ndarray) -> Any:
        """The flat vector as the user's tree for calling the user's own Python
        functions: leaves of the user's types, in the dtypes they are evaluated
        in (float64 for NumPy leaves, whatever their own dtype). Always a fresh
        copy: a function that changes its argument in place (``x -= 1``) changes
        its own copy, never the point the algorithm or extopt holds."""
        if np.iscomplexobj(flat):
            return self.unpack(np.array(flat))
        specs = self.__dict__.get("_eval_specs")
        if specs is None:
            specs = tuple(dataclasses.replace(s, out_dtype=s.dtype) for s in self.leaves)
            self._eval_specs = specs
        leaves = self.backend.leaves_from_flat(np.array(flat, dtype=np.float64), specs)
        return self.backend.unflatten(self.treedef, leaves)

    def unpack_numpy(self, flat: np.ndarray) -> Any:
        """The flat vector as the user's tree with NumPy leaves (for reports)."""
        leaves = [np.array(a) for a in self.split(np.asarray(flat, dtype=np.float64))]
        return self.backend.unflatten(self.treedef, leaves)

    def locate(self, index: int) -> str:
        """The user's name of flat element `index`, like "x0['a'][1, 2]"."""
        for spec in self.leaves:
            if spec.offset <= index < spec.stop:
                where = np.unravel_index(index - spec.offset, spec.shape) if spec.shape else ()
                inner = f"[{', '.join(str(int(i)) for i in where)}]" if where else ""
                return f"{self.what}{spec.path}{inner}"
        raise IndexError(index)

    def __repr__(self) -> str:
        parts = ", ".join(f"{s.path or '<root>'}: {s.shape}" for s in self.leaves)
        return f"Packer({self.what}, n={self.size}, leaves=[{parts}])"
