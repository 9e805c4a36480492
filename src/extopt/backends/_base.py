"""The interface every framework implements.

A backend knows three things about its framework:

1. trees: how to flatten the user's parameter structure (and unflatten it);
2. leaves: which array types it owns, how to read them into NumPy and how to
   rebuild them from NumPy (dtype, device, ...);
3. derivatives: how to turn the user's loss and constraint functions, written
   over the structured parameters, into functions of one flat float64 vector
   (`FlatFunctions`), compiled where the framework can, with the value and the
   gradient fused in one call.

Everything framework-specific lives in the backend's module, which is imported
only when that backend is used.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import numpy as np

from .._errors import BackendError, InputError, describe
from .._tree import LeafSpec, Packer

Array = np.ndarray


@dataclass
class Model:
    """What a backend compiles: the user's loss and constraint functions over
    the structured parameters, their extra arguments, and the packing."""

    fun: Callable[..., Any]
    args: tuple
    packer: Packer
    x0_flat: np.ndarray
    equalities: tuple[Callable[..., Any], ...] = ()
    inequalities: tuple[Callable[..., Any], ...] = ()

    @property
    def constraint_funs(self) -> tuple[tuple[str, int, Callable[..., Any]], ...]:
        """(kind, index, function) of every constraint, equalities first."""
        return tuple(("eq", i, c) for i, c in enumerate(self.equalities)) + tuple(
            ("ineq", i, c) for i, c in enumerate(self.inequalities)
        )


@dataclass
class VariableModel:
    """What a backend compiles for stateful variables (the seed's interface):
    a loss that reads `variables` (a zero-argument callable, or a graph tensor
    in TensorFlow 1), constraints likewise, and the packing of the variables."""

    loss: Any
    variables: tuple
    packer: Packer
    x0_flat: np.ndarray
    equalities: tuple = ()
    inequalities: tuple = ()
    #: framework specifics (TensorFlow 1: session, feed_dict, fetches, run options)
    options: dict = field(default_factory=dict)

    @property
    def constraint_funs(self) -> tuple[tuple[str, int, Any], ...]:
        return tuple(("eq", i, c) for i, c in enumerate(self.equalities)) + tuple(
            ("ineq", i, c) for i, c in enumerate(self.inequalities)
        )


@dataclass
class FlatFunctions:
    """The user's problem as functions of the flat float64 vector `x`.

    Every function takes and returns float64 NumPy values. A piece is `None`
    when the backend cannot supply it (the driver then asks SciPy for finite
    differences, or says why it cannot). Constraint rows are the outputs of
    every equality function, then every inequality function, each raveled in
    its tree's leaf order.

    The fused pieces exist so that one framework call serves a whole point:
    `value_and_grad(x) -> (f, g)`, `value_constraints(x) -> (f, c)` and
    `everything(x) -> (f, g, c, J)`.
    """

    value: Callable[[Array], float]
    value_and_grad: Callable[[Array], tuple[float, Array]] | None = None
    #: The gradient alone, for a point whose value is already known.
    grad: Callable[[Array], Array] | None = None
    hessp: Callable[[Array, Array], Array] | None = None
    hess: Callable[[Array], Array] | None = None
    constraints: Callable[[Array], Array] | None = None
    constraints_jac: Callable[[Array], Array] | None = None
    constraints_hessp: Callable[[Array, Array, Array], Array] | None = None
    constraints_hess: Callable[[Array, Array], Array] | None = None
    #: The Hessian of the Lagrangian f - v . c in one call, where the backend
    #: fuses it (the verdict's; else the two pieces above).
    lagrangian_hess: Callable[[Array, Array], Array] | None = None
    value_constraints: Callable[[Array], tuple[float, Array]] | None = None
    everything: Callable[[Array], tuple[float, Array, Array, Array]] | None = None
    #: Packers of each constraint function's output (equalities, then inequalities).
    constraint_packers: tuple[Packer, ...] = ()
    #: Values already computed at x0 while building (seed the evaluator's cache).
    initial: dict[str, Any] = field(default_factory=dict)
    #: True when the gradient and second derivatives are exact (automatic).
    exact: bool = True


class LeafInfo(NamedTuple):
    """What a backend says about one parameter leaf."""

    kind: str  # "python", "numpy", "numpy-scalar" or the backend's own kind
    shape: tuple[int, ...]
    dtype: np.dtype  # evaluated in
    out_dtype: np.dtype  # rebuilt in
    meta: Any = None


class Backend(ABC):
    """One framework behind extopt. Subclasses set `name` and implement
    `compile`; leaf handling defaults to NumPy arrays and Python numbers, and
    trees default to `optree`."""

    name: ClassVar[str] = "?"
    #: Whether `compile` supplies exact gradients and Hessians.
    autodiff: ClassVar[bool] = False

    # -- inference ------------------------------------------------------------------
    @classmethod
    def owns(cls, leaf: Any) -> bool:
        """Whether `leaf` is one of this framework's arrays (never imports it)."""
        return False

    # -- trees ----------------------------------------------------------------------
    def flatten_with_path(self, tree: Any) -> tuple[list[tuple[str, Any]], Any]:
        import optree

        paths, leaves, treedef = optree.tree_flatten_with_path(tree)
        return [(_path_str(p), leaf) for p, leaf in zip(paths, leaves, strict=True)], treedef

    def flatten(self, tree: Any) -> tuple[list[Any], Any]:
        import optree

        return optree.tree_flatten(tree)

    def unflatten(self, treedef: Any, leaves: Sequence[Any]) -> Any:
        import optree

        return optree.tree_unflatten(treedef, leaves)

    def flatten_up_to(self, treedef: Any, tree: Any, what: str) -> list[Any]:
        """`tree`'s subtrees at the leaf positions of `treedef` (a `None` there
        stays `None`); an `InputError` naming `what` when the structures differ."""
        try:
            return list(treedef.flatten_up_to(tree))
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"{what} must have the structure of the parameters, {self.treedef_str(treedef)}; "
                f"got {describe(tree)}. ({exc})"
            ) from None

    def treedef_str(self, treedef: Any) -> str:
        return str(treedef)

    # -- leaves ---------------------------------------------------------------------
    def leaf_spec(self, leaf: Any, what: str) -> LeafInfo:
        """How one parameter leaf is evaluated and rebuilt."""
        if isinstance(leaf, bool | np.bool_):
            raise InputError(f"{what} is a boolean ({leaf!r}); parameters must be real numbers.")
        if isinstance(leaf, int | float):
            return LeafInfo("python", (), np.dtype(np.float64), np.dtype(np.float64))
        if isinstance(leaf, np.ndarray | np.generic):
            _float_dtype(leaf.dtype, what)  # refuses booleans and complex numbers
            # Evaluated in float64 whatever its dtype (SciPy's finite differences
            # and tolerances are float64's); it comes back in its own dtype.
            kind = "numpy-scalar" if isinstance(leaf, np.generic) else "numpy"
            return LeafInfo(kind, leaf.shape, np.dtype(np.float64), _out_dtype(leaf.dtype))
        hint = ""
        framework = type(leaf).__module__.split(".")[0]
        known = {"jax": "jax", "jaxlib": "jax", "torch": "torch", "tensorflow": "tensorflow"}
        if framework in known and known[framework] != self.name:
            hint = (
                f" It is a {known[framework]} value: pass backend={known[framework]!r} (the "
                "backend is inferred from x0's leaves when not given)."
            )
        raise InputError(
            f"{what} is {describe(leaf)}; the {self.name} backend takes "
            f"{self.accepted_leaves()} as parameter leaves.{hint}"
        )

    def accepted_leaves(self) -> str:
        return "NumPy arrays and Python numbers"

    def to_numpy(self, leaf: Any) -> np.ndarray:
        return np.asarray(leaf)

    def leaves_from_flat(self, flat: np.ndarray, specs: Sequence[LeafSpec]) -> list:
        """The leaves cut from the flat float64 vector, each of its own type, dtype
        and shape (a backend may do this in one call for many leaves)."""
        return [
            self.from_numpy(
                np.array(flat[s.offset : s.stop], dtype=s.out_dtype).reshape(s.shape), s
            )
            for s in specs
        ]

    def from_numpy(self, array: np.ndarray, spec: LeafSpec) -> Any:
        if spec.kind == "python":
            return float(array)
        if spec.kind == "numpy-scalar":
            return array.dtype.type(array)
        return array

    # -- running --------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """A context held for the whole run (JAX enables float64 in it)."""
        yield

    def numpy_params(self, packer: Packer, x: np.ndarray) -> Any:
        """The flat vector as the user's tree with this backend's leaves, for
        calling the user's Python functions eagerly (user-supplied derivatives)."""
        return packer.unpack(x)

    # -- writing answers into the user's objects (FitResult.update_params) -----------
    def mutable(self, leaf: Any) -> bool:
        """Whether `leaf` can take new values in place."""
        return isinstance(leaf, np.ndarray) and leaf.flags.writeable

    def assign(self, leaf: Any, array: np.ndarray) -> None:
        """Put `array` into the mutable `leaf`."""
        leaf[...] = np.asarray(array).reshape(leaf.shape)

    def write_leaves(self, leaves: Sequence[Any], arrays: Sequence[np.ndarray]) -> None:
        """Put `arrays` into `leaves` (all of them or, if one cannot, none)."""
        fixed = [f"{type(leaf).__name__}" for leaf in leaves if not self.mutable(leaf)]
        if fixed:
            raise InputError(
                f"the parameters include immutable values ({', '.join(sorted(set(fixed)))}): "
                "update_params writes into NumPy arrays, torch tensors and TensorFlow "
                "variables only."
            )
        for leaf, array in zip(leaves, arrays, strict=True):
            self.assign(leaf, array)

    # -- stateful variables (the seed's ScipyOptimizerInterface) ---------------------
    def read_variables(self, variables: Sequence[Any]) -> list[np.ndarray]:
        """Copies of the variables' current values."""
        raise BackendError(f"the {self.name} backend has no stateful variables.")

    def write_variables(self, variables: Sequence[Any], arrays: Sequence[np.ndarray]) -> None:
        """Assign `arrays` to the variables, in place."""
        raise BackendError(f"the {self.name} backend has no stateful variables.")

    def compile_variables(self, model: VariableModel) -> FlatFunctions:
        """The flat functions of a loss that reads stateful variables."""
        raise BackendError(f"the {self.name} backend has no stateful variables.")

    @abstractmethod
    def compile(self, model: Model) -> FlatFunctions:
        """The model's flat functions, every piece the framework can supply.

        Pieces must be cheap to create: compile lazily, on first call, so that
        a method that never asks for a Hessian never pays for one."""

    def __repr__(self) -> str:
        return f"<extopt {self.name} backend>"


def _float_dtype(dtype: np.dtype, what: str) -> np.dtype:
    """The dtype a leaf is evaluated in: its own float dtype, float64 for integers."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        if dtype.itemsize < 4:
            return np.dtype(np.float32)
        return dtype if dtype.itemsize <= 8 else np.dtype(np.float64)
    if dtype.kind in "iu":
        return np.dtype(np.float64)
    if dtype.kind == "b":
        raise InputError(f"{what} has boolean dtype; parameters must be real numbers.")
    if dtype.kind == "c":
        raise InputError(
            f"{what} has complex dtype {dtype}; extopt optimizes real parameters: "
            "pass the real and imaginary parts as separate real leaves."
        )
    raise InputError(f"{what} has dtype {dtype}; parameters must be real numbers.")


def _out_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype a leaf comes back in: its own floating dtype, float64 for integers."""
    dtype = np.dtype(dtype)
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _path_str(path: tuple) -> str:
    parts = []
    for key in path:
        parts.append(f"[{key!r}]")
    return "".join(parts)


def check_scalar_output(value: Any, what: str, autodiff: bool = False) -> None:
    """Raise an `InputError` unless `value` (an output's shape/dtype) is a real
    scalar, or an array of one element as SciPy, TF1 and torch.optim take it
    (a loss of shape (1,)); with `autodiff`, a floating one (an integer loss
    has no gradient)."""
    import numbers

    if isinstance(value, list | tuple):
        with contextlib.suppress(TypeError, ValueError):
            value = np.asarray(value)
    if not (hasattr(value, "dtype") and hasattr(value, "shape")) and not isinstance(
        value, numbers.Number
    ):
        raise InputError(
            f"{what} must return a real scalar; it returned {describe(value)}."
            + (
                " SciPy's words: The user-provided objective function must return a scalar value."
                if what == "fun"
                else ""
            )
        )
    shape = getattr(value, "shape", ())
    dtype = np.dtype(getattr(value, "dtype", np.float64))
    if isinstance(value, complex) and not hasattr(value, "dtype"):
        dtype = np.dtype(np.complex128)
    if isinstance(value, bool | np.bool_) or (tuple(shape) == () and dtype.kind == "b"):
        dtype = np.dtype(bool)
    elif isinstance(value, int) and not hasattr(value, "dtype"):
        dtype = np.dtype(np.int64)
    if int(np.prod(tuple(shape), dtype=np.int64)) != 1 or dtype.kind not in "fiu":
        raise InputError(
            f"{what} must return a real scalar; it returned {describe(value)}. "
            "Sum or reduce the output, or pass vector-valued conditions as constraints."
            + (
                " SciPy's words: The user-provided objective function must return a scalar value."
                if what == "fun"
                else ""
            )
        )
    if autodiff and dtype.kind != "f":
        raise InputError(
            f"{what} returned an integer value (dtype {dtype}); an integer loss has no "
            "gradient (every derivative of it is zero), so an algorithm would stop at its "
            "start. Return a floating-point value (cast it to float64), or minimize the "
            "function with a derivative-free method and backend='numpy'."
        )


def first_call_checked(
    fun: Callable[..., Any], what: str = "fun", select: Callable[[Any], Any] | None = None
) -> Callable[..., Any]:
    """`fun` whose first output (or `select(output)`) is checked to be a real
    scalar, on the first call that happens anyway (never an extra call)."""
    checked = False

    def call(*args: Any) -> Any:
        nonlocal checked
        out = fun(*args)
        # a complex-step probe ("cs") may return a complex value; a real point may not
        if not checked and not (args and np.iscomplexobj(args[0])):
            value = out if select is None else select(out)
            check_scalar_output(value, what)
            checked = True
        return out

    return call
