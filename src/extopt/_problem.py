"""The flat problem model: everything a user gave, normalized once.

`Problem.build` is the boundary. It checks every input, packs the parameters
into one float64 vector, turns the bounds into flat lower/upper vectors and
the constraints into rows, and asks the backend for the flat functions. Past
this point nothing re-checks user input, and nothing knows about pytrees or
frameworks except through the `Packer` and the backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ._bounds import clip_start, keep_feasible, normalize_bounds
from ._constraints import (
    ConstraintSet,
    ScipyBlock,
    normalize_functions,
    normalize_scipy_constraints,
    with_scipy_blocks,
)
from ._errors import InputError, describe
from ._tree import Packer
from .backends import Backend, FlatFunctions, Model, get_backend, infer_backend
from .backends._base import first_call_checked

FD_SCHEMES = ("2-point", "3-point", "cs")


@dataclass
class Problem:
    """A minimization problem over one flat float64 vector."""

    backend: Backend
    packer: Packer
    x0: np.ndarray
    bounds: tuple[np.ndarray, np.ndarray] | None
    functions: FlatFunctions
    constraints: ConstraintSet | None
    jac: Any  # None (backend's), "user", or a finite-difference scheme name
    fun: Callable[..., Any]
    args: tuple
    #: The start as given, where it lay outside the bounds (x0 is moved inside);
    #: for algorithms that move an infeasible start inside themselves (Ipopt).
    x0_given: np.ndarray | None = None
    #: `Bounds(keep_feasible=...)` per element: the algorithm (trust-constr) keeps
    #: those inside their bounds at every step; extopt's own steps always do.
    keep_feasible: np.ndarray | None = None

    @property
    def n(self) -> int:
        return self.packer.size

    @property
    def float32(self) -> bool:
        """Whether some parameter is evaluated in float32 (or less)."""
        return any(leaf.dtype.itemsize <= 4 for leaf in self.packer.leaves)

    @cached_property
    def eps(self) -> float:
        """The machine epsilon of the least precise dtype the loss is evaluated
        in: finite-difference steps and precision floors follow it."""
        return max(float(np.finfo(dtype).eps) for dtype in {s.dtype for s in self.packer.leaves})

    @property
    def has_gradient(self) -> bool:
        """Whether a gradient exists without finite differences."""
        return self.functions.value_and_grad is not None

    @classmethod
    def build(
        cls,
        fun: Callable[..., Any],
        x0: Any,
        *,
        args: Any = (),
        bounds: Any = None,
        equalities: Any = (),
        inequalities: Any = (),
        constraints: Any = (),
        backend: str | Backend | None = None,
        jac: Any = None,
    ) -> Problem:
        if not callable(fun):
            raise InputError(
                f"fun must be callable, fun(params, *args) -> scalar; got {describe(fun)}."
            )
        if not isinstance(args, tuple):
            args = (args,)
        _check_acyclic(x0, "x0")
        try:
            backend = infer_backend(x0) if backend is None else get_backend(backend)
            packer, x0_flat = Packer.from_tree(backend, x0, "x0")
        except RecursionError:
            raise InputError(
                f"x0 contains itself (a list, tuple or dict that holds itself, or nesting "
                f"deeper than Python's recursion limit); got {describe(x0)}. Pass a tree of "
                "arrays and numbers."
            ) from None
        if packer.size == 0:
            raise InputError(f"x0 has no elements to optimize; got {describe(x0)}.")
        if not np.all(np.isfinite(x0_flat)):
            i = int(np.flatnonzero(~np.isfinite(x0_flat))[0])
            raise InputError(f"x0 must be finite; {packer.locate(i)} is {x0_flat[i]}.")

        flat_bounds = normalize_bounds(bounds, packer)
        feasible = keep_feasible(bounds, packer.size)
        given = x0_flat
        x0_flat = clip_start(x0_flat, flat_bounds, packer)
        x0_given = None if x0_flat is given else given

        eqs = normalize_functions(equalities, "equalities")
        ineqs = normalize_functions(inequalities, "inequalities")
        blocks = normalize_scipy_constraints(constraints if constraints != () else None, x0_flat)

        jac_mode, value_fun, user_vg, user_grad = _gradient_choice(jac, fun, args, packer)
        model = Model(value_fun, args, packer, x0_flat, eqs, ineqs)
        functions = backend.compile(model)
        if jac_mode is not None:  # the user's gradient, or SciPy's finite differences
            functions.value_and_grad = user_vg
            functions.grad = user_grad
            functions.everything = None

        functions = with_scipy_blocks(functions, blocks)
        cset = None
        if eqs or ineqs or blocks:
            kinds = ["eq"] * len(eqs) + ["ineq"] * len(ineqs)
            cset = ConstraintSet(functions.constraint_packers, kinds, blocks)
        return cls(
            backend,
            packer,
            x0_flat,
            flat_bounds,
            functions,
            cset,
            jac_mode,
            fun,
            args,
            x0_given,
            feasible,
        )

    # -- user-supplied second derivatives --------------------------------------------
    def user_hess(self, hess: Callable[..., Any]) -> Callable[[np.ndarray], Any]:
        """The user's `hess(params, *args)` as a function of the flat vector,
        returning an (n, n) matrix (or whatever linear operator it returns)."""
        unpack, n, args = self.packer.unpack_eval, self.n, self.args

        def flat_hess(x: np.ndarray) -> Any:
            out = hess(unpack(x), *args)
            if hasattr(out, "shape") and not isinstance(out, np.ndarray) and hasattr(out, "dot"):
                return out  # a LinearOperator or sparse matrix
            array = np.asarray(
                self.backend.to_numpy(out) if self.backend.owns(out) else out, dtype=np.float64
            )
            if array.size == n * n and array.ndim < 2:  # one parameter: a number, as SciPy
                array = array.reshape(n, n)
            if array.shape != (n, n):
                raise InputError(
                    f"hess must return an ({n}, {n}) matrix (rows and columns in "
                    f"the packing order of x0); it returned shape {array.shape}."
                )
            if not np.isfinite(array).all():
                raise InputError(
                    f"hess returned a matrix with non-finite entries (NaN or inf) at "
                    f"{self.packer.locate(0).split('[')[0]} = {np.array2string(x, threshold=6)}; "
                    "SciPy's methods need a finite Hessian."
                )
            return array

        return flat_hess

    def user_hessp(self, hessp: Callable[..., Any]) -> Callable[[np.ndarray, np.ndarray], Any]:
        """The user's `hessp(params, p, *args)` (SciPy's form; `p` a flat
        vector) as a function of the flat vector and `p`, returning a flat vector."""
        unpack, n, args = self.packer.unpack_eval, self.n, self.args

        def flat_hessp(x: np.ndarray, p: np.ndarray) -> np.ndarray:
            out = hessp(unpack(x), np.array(p, dtype=np.float64), *args)
            array = np.asarray(
                self.backend.to_numpy(out) if self.backend.owns(out) else out, dtype=np.float64
            )
            if array.size != n:
                raise InputError(
                    f"hessp must return a vector of the {n} parameters (the product of the "
                    f"Hessian with p); it returned shape {array.shape}."
                )
            return array.reshape(n)

        return flat_hessp


def _check_acyclic(tree: Any, what: str) -> None:
    """An extopt error for a list, tuple or dict that holds itself (the tree
    libraries overflow the stack on one, or fail inside their C code)."""
    stack = [(tree, ())]
    while stack:
        node, ancestors = stack.pop()
        if not isinstance(node, list | tuple | dict):
            continue
        if id(node) in ancestors:
            raise InputError(
                f"{what} contains itself (a list, tuple or dict that holds itself); pass a tree "
                "of arrays and numbers."
            )
        inner = (*ancestors, id(node))
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, inner) for child in children)


def _value(out: Any) -> float:
    """A loss value (a number, or an array of one element) as a float."""
    return float(np.asarray(out).reshape(())) if getattr(out, "ndim", 0) else float(out)


def _gradient_choice(jac: Any, fun: Callable[..., Any], args: tuple, packer: Packer):
    """(jac mode, the function whose value the backend compiles, the user's
    value-and-gradient and gradient functions or None) for the `jac` argument."""
    if jac is None or jac is False:
        return None, fun, None, None
    if isinstance(jac, str):
        if jac not in FD_SCHEMES:
            raise InputError(
                f"jac must be None, True, a callable or one of {list(FD_SCHEMES)}; got {jac!r}."
            )
        return jac, fun, None, None
    backend = packer.backend
    unpack = packer.unpack_eval
    n = packer.size

    def flat_grad(out: Any, x: np.ndarray) -> np.ndarray:
        # complex at a complex point: SciPy's complex-step Hessian ("cs") of jac
        dtype = np.complex128 if np.iscomplexobj(x) else np.float64
        if backend.owns(out) or isinstance(out, np.ndarray):
            array = np.asarray(backend.to_numpy(out), dtype=dtype)
            if array.size == n and (array.ndim == 1 or len(packer.leaves) == 1):
                return array.reshape(n)
        try:
            if dtype is np.complex128:
                return np.asarray(out, dtype=dtype).reshape(n)
            return packer.pack(out, what="the gradient from jac")
        except (TypeError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(
                f"the gradient from jac must be numbers in the structure of x0 (or a flat "
                f"vector of {n}); got {describe(out)}."
            ) from None

    if jac is True:

        def pair(out):
            if not (isinstance(out, tuple | list) and len(out) == 2):
                raise InputError(
                    "with jac=True, fun must return a pair (value, gradient); it "
                    f"returned {describe(out)}."
                )
            return out

        def value_fun(params, *a):
            return pair(fun(params, *a))[0]

        # fun's pair, its value checked on the first call
        checked_fun = first_call_checked(lambda *a: pair(fun(*a)), select=lambda out: out[0])

        def user_vg(x):
            value, grad = checked_fun(unpack(x), *args)
            return _value(value), flat_grad(grad, x)

        return "user", value_fun, user_vg, None
    if callable(jac):
        checked_fun = first_call_checked(fun)

        def user_vg(x):  # each function its own copy of the point
            return _value(checked_fun(unpack(x), *args)), flat_grad(jac(unpack(x), *args), x)

        def user_grad(x):
            return flat_grad(jac(unpack(x), *args), x)

        return "user", fun, user_vg, user_grad
    raise InputError(
        f"jac must be None, True, a callable or one of {list(FD_SCHEMES)}; got {describe(jac)}."
    )


__all__ = ["FD_SCHEMES", "Problem", "ScipyBlock"]
