"""The NumPy backend: the user's own Python functions, no automatic derivatives.

The loss and the constraints are called eagerly with NumPy leaves (in each
leaf's dtype). There is no gradient here: the SciPy driver asks SciPy for
finite differences of the loss (and says so once, with the cost), and the
evaluator takes forward differences of the constraints. Users who have
derivatives pass them as `jac=` / `hess=` callables, or as SciPy constraint
objects with a `jac`.
"""

from __future__ import annotations

import numpy as np

from .._errors import InputError
from .._tree import Packer
from ._base import Backend, FlatFunctions, Model, check_scalar_output, first_call_checked


class NumpyBackend(Backend):
    """NumPy arrays and Python numbers; the user's functions called as they are."""

    name = "numpy"
    autodiff = False

    def compile(self, model: Model) -> FlatFunctions:
        packer = model.packer
        args = model.args
        fun = model.fun
        unpack = packer.unpack_eval
        x0 = model.x0_flat

        fun = first_call_checked(fun)  # checked on the first evaluation, not an extra one

        def value(x: np.ndarray) -> float:
            out = fun(unpack(x), *args)
            try:
                if getattr(out, "ndim", 0) or isinstance(out, list | tuple):
                    out = np.asarray(out).reshape(())  # one element, as SciPy takes it
                if x.dtype.kind == "c":
                    return complex(out)
                if np.iscomplexobj(out):
                    raise TypeError
                return float(out)
            except (TypeError, ValueError):
                check_scalar_output(out, "fun")  # says what is wrong with it
                raise

        constraint_funs = model.constraint_funs
        if not constraint_funs:
            return FlatFunctions(value=value, exact=False)

        packers: list[Packer] = []
        c0 = []
        for kind, index, cfun in constraint_funs:
            what = f"the output of {'equalities' if kind == 'eq' else 'inequalities'}[{index}]"
            out = cfun(unpack(x0), *args)
            out_packer, flat = Packer.from_tree(self, out, what)
            if out_packer.size == 0:
                raise InputError(f"{what} has no elements; a constraint must return at least one.")
            packers.append(out_packer)
            c0.append(flat)

        calls = tuple(
            (cfun, out_packer.pack)
            for (_, _, cfun), out_packer in zip(constraint_funs, packers, strict=True)
        )

        def constraints(x: np.ndarray) -> np.ndarray:
            params = unpack(x)
            return np.concatenate([pack(cfun(params, *args)) for cfun, pack in calls])

        def value_constraints(x: np.ndarray) -> tuple[float, np.ndarray]:
            return value(x), constraints(x)

        return FlatFunctions(
            value=value,
            constraints=constraints,
            value_constraints=value_constraints,
            constraint_packers=tuple(packers),
            initial={"constraints": np.concatenate(c0)},
            exact=False,
        )

    def accepted_leaves(self) -> str:
        return "NumPy arrays and Python numbers"
