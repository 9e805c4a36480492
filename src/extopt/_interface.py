"""The seed's stateful-variable API (TensorFlow 1's `ExternalOptimizerInterface`
and `ScipyOptimizerInterface`), for any framework with variables.

A framework module (`extopt.tensorflow`, `extopt.torch`) supplies a
`VariableAdapter`: how to read and assign its variables, and how to compile a
loss that reads them into flat functions. Everything else is shared and goes
through the same flat problem, evaluator and result as `extopt.minimize`:

- `ExternalOptimizerInterface.minimize` reads the variables, builds the flat
  problem, runs `self._run(...)`, and assigns the answer to the variables (also
  when the algorithm did not converge); if anything raises, it puts the values
  from before the call back.
- The base `_run` calls `self._minimize(...)` with the seed's contract (a flat
  NumPy start, `loss_grad_func(x) -> [loss, grad]`, per-constraint functions
  and gradients, packed bounds, a step callback, the optimizer kwargs) so that
  a subclass wraps a new algorithm in a few lines.
- `ScipyOptimizerInterface._run` hands the problem to `ScipyMinimizer`, with
  fused evaluations and exact second derivatives.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._bounds import clip_start, normalize_bounds
from ._constraints import ConstraintSet
from ._errors import InputError, describe
from ._evaluator import Evaluation, Evaluator
from ._minimizers import Scipy
from ._params import element_names
from ._problem import Problem
from ._report import report
from ._result import FitResult
from ._tree import Packer
from .backends import Backend, FlatFunctions, VariableModel

logger = logging.getLogger("extopt")

#: The keyword arguments ScipyOptimizerInterface passes to ScipyMinimizer.
SCIPY_KWARGS = ("method", "options", "tol", "hess")


class VariableAdapter(ABC):
    """A framework's variables behind the seed's interface."""

    backend: Backend
    variables: list
    names: list[str]

    def take_callables(self, loss: Any, equalities: list, inequalities: list, where: str) -> None:
        """Check and keep a zero-argument loss and constraints (eager frameworks)."""
        if not callable(loss):
            raise InputError(
                f"{where}, the loss must be a zero-argument callable returning a scalar tensor "
                f"(it reads the variables of var_list); got {describe(loss)}."
            )
        for what, fns in (("equalities", equalities), ("inequalities", inequalities)):
            for i, fn in enumerate(fns):
                if not callable(fn):
                    raise InputError(
                        f"{where}, {what}[{i}] must be a zero-argument callable returning a "
                        f"tensor; got {describe(fn)}."
                    )
        self.loss = loss
        self.equalities = list(equalities)
        self.inequalities = list(inequalities)

    @abstractmethod
    def read(self) -> list[np.ndarray]:
        """Copies of the variables' current values."""

    @abstractmethod
    def write(self, arrays: Sequence[np.ndarray]) -> None:
        """Assign `arrays` to the variables in place."""

    @abstractmethod
    def leaf(self, index: int, var: Any, what: str):
        """The `LeafInfo` of a variable (as `Backend.leaf_spec` gives for leaves)."""

    def compile(self, packer: Packer, x0: np.ndarray) -> FlatFunctions:
        """The flat functions of the loss and constraints over the variables
        (eager frameworks: the backend compiles the zero-argument callables)."""
        model = VariableModel(
            self.loss,
            tuple(self.variables),
            packer,
            x0,
            tuple(self.equalities),
            tuple(self.inequalities),
        )
        return self.backend.compile_variables(model)

    def fetched(self, fetches: Sequence[Any], ev: Evaluation) -> list:
        """The values of `fetches` at the point just evaluated, for `loss_callback`
        (the loss itself from the evaluation, the others read now)."""
        return [
            np.float64(ev.fun) if fetch is self.loss else self.fetch_value(fetch)
            for fetch in fetches
        ]

    def fetch_value(self, fetch: Any) -> Any:
        """The current value of one fetch (a tensor, a variable, a callable)."""
        return fetch


class ExternalOptimizerInterface:
    """Base class for interfaces with external optimization algorithms.

    Subclass it and implement `_minimize` to wrap a new algorithm; use
    `ScipyOptimizerInterface` for every method of `scipy.optimize.minimize`.

    Parameters
    ----------
    loss : what is minimized: a zero-argument callable returning a scalar
        tensor (PyTorch, TensorFlow 2), or a scalar tensor (TensorFlow 1 graph
        mode).
    var_list : the variables to optimize, in the order of the flat vector.
    equalities, inequalities : constraints held == 0 / >= 0 element-wise, of
        any shape, written like `loss`.
    var_to_bounds : bounds per variable: a mapping from a variable (or its
        `ref()` in TensorFlow 2, its name, or its index in `var_list`) to
        `(low, high)`, or a sequence of `(variable, (low, high))` pairs. Each of
        low and high is None, a number or an array that broadcasts to the
        variable's shape (None elements and +/-inf: unbounded).
    **optimizer_kwargs : passed to the algorithm (never modified).
    """

    def __init__(
        self,
        loss: Any,
        var_list: Any = None,
        equalities: Any = None,
        inequalities: Any = None,
        var_to_bounds: Any = None,
        **optimizer_kwargs: Any,
    ):
        self._check_kwargs(optimizer_kwargs)
        self.optimizer_kwargs = dict(optimizer_kwargs)
        self._adapter = self._make_adapter(
            loss,
            var_list,
            _as_list(equalities, "equalities"),
            _as_list(inequalities, "inequalities"),
        )
        self._var_to_bounds = var_to_bounds
        self._packer = self._variable_packer()
        self._bounds = self._normalize_bounds(var_to_bounds)

    # -- set-up -------------------------------------------------------------------
    def _make_adapter(self, loss, var_list, equalities, inequalities) -> VariableAdapter:
        raise NotImplementedError(
            "use the framework's class: extopt.tensorflow.ExternalOptimizerInterface or "
            "extopt.torch.ExternalOptimizerInterface (or their ScipyOptimizerInterface)."
        )

    def _check_kwargs(self, kwargs: dict) -> None:
        """Subclasses refuse keyword arguments they set themselves."""

    def _variable_packer(self) -> Packer:
        adapter = self._adapter
        infos = []
        for i, (var, name) in enumerate(zip(adapter.variables, adapter.names, strict=True)):
            path = f"[{i}] ({name})" if name else f"[{i}]"
            infos.append((path, adapter.leaf(i, var, f"var_list{path}")))
        treedef = adapter.backend.flatten([0] * len(infos))[1]  # a list of the variables
        return Packer.from_infos(adapter.backend, treedef, infos, "var_list")

    def _normalize_bounds(self, var_to_bounds: Any):
        if var_to_bounds is None:
            return None
        adapter = self._adapter
        pairs = _bound_pairs(var_to_bounds)
        lower: list[Any] = [None] * len(adapter.variables)
        upper: list[Any] = [None] * len(adapter.variables)
        for key, value in pairs:
            i = _variable_index(key, adapter)
            if not (isinstance(value, tuple | list) and len(value) == 2):
                raise InputError(
                    f"var_to_bounds[{adapter.names[i] or i!r}] must be a pair (low, high); got "
                    f"{describe(value)}."
                )
            lower[i], upper[i] = value
        return normalize_bounds((lower, upper), self._packer)

    # -- running ------------------------------------------------------------------
    def _minimize_variables(
        self,
        step_callback: Callable | None,
        loss_callback: Callable | None,
        fetches: Sequence[Any],
        compile_args: dict | None = None,
    ) -> FitResult:
        for name, cb in (("step_callback", step_callback), ("loss_callback", loss_callback)):
            if cb is not None and not callable(cb):
                raise InputError(f"{name} must be callable or None; got {describe(cb)}.")
        adapter = self._adapter
        packer = self._packer
        original = adapter.read()
        x0 = packer._concat(original)
        if not np.all(np.isfinite(x0)):
            i = int(np.flatnonzero(~np.isfinite(x0))[0])
            raise InputError(
                f"the variables must hold finite values; {packer.locate(i)} is {x0[i]}."
            )
        x0 = clip_start(x0, self._bounds, packer)
        try:
            functions = adapter.compile(packer, x0, **(compile_args or {}))
            cset = None
            if functions.constraint_packers:
                kinds = ["eq"] * len(adapter.equalities) + ["ineq"] * len(adapter.inequalities)
                cset = ConstraintSet(functions.constraint_packers, kinds, [])
            problem = Problem(
                adapter.backend, packer, x0, self._bounds, functions, cset, None, None, ()
            )
            user_loss_callback = None
            if loss_callback is not None:

                def user_loss_callback(ev: Evaluation) -> None:
                    loss_callback(*adapter.fetched(fetches, ev))

            result = self._run(problem, step_callback, user_loss_callback)
        except BaseException:
            adapter.write(original)
            raise
        adapter.write(packer.split(result.x_flat))
        logger.info(
            "Optimization terminated with:\n  Message: %s\n  Objective function value: %f\n"
            "  Number of iterations: %s\n  Number of functions evaluations: %d",
            result.message,
            result.fun,
            result.nit,
            result.nfev,
        )
        return result

    def _run(
        self, problem: Problem, step_callback: Callable | None, loss_callback: Callable | None
    ) -> FitResult:
        """Run `_minimize` with the seed's calling contract and report its answer."""
        cset = problem.constraints
        ev = Evaluator(
            problem.functions,
            "everything" if cset is not None else "value_and_grad",
            loss_callback,
            problem.packer.unpack,
            problem.x0,
            eps=problem.eps,
            bounds=problem.bounds,
        )

        def loss_grad_func(x: np.ndarray) -> list:
            f, g = ev.fun_and_grad(np.array(x, dtype=np.float64))  # a copy: the evaluator keeps it
            return [f, g.copy()]

        funcs: dict[str, list] = {"eq": [], "ineq": []}
        grads: dict[str, list] = {"eq": [], "ineq": []}
        start = 0
        for packer, kind in zip(
            cset.packers if cset else (), cset.kinds if cset else (), strict=True
        ):
            rows = slice(start, start + packer.size)
            scalar = packer.shapes == ((),)
            start = rows.stop
            funcs[kind].append(_row_function(ev.constraints, rows, scalar))
            grads[kind].append(_row_function(ev.constraints_jac, rows, scalar))
        packed_bounds = None
        if problem.bounds is not None:
            lower, upper = problem.bounds
            packed_bounds = [
                (None if np.isneginf(lo) else float(lo), None if np.isposinf(hi) else float(hi))
                for lo, hi in zip(lower, upper, strict=True)
            ]

        start_time = time.perf_counter()
        answer = self._minimize(
            initial_val=problem.x0.copy(),
            loss_grad_func=loss_grad_func,
            equality_funcs=funcs["eq"],
            equality_grad_funcs=grads["eq"],
            inequality_funcs=funcs["ineq"],
            inequality_grad_funcs=grads["ineq"],
            packed_bounds=packed_bounds,
            step_callback=step_callback if step_callback is not None else _ignore,
            optimizer_kwargs=dict(self.optimizer_kwargs),
        )
        answer = np.asarray(answer, dtype=np.float64).ravel()
        if answer.shape != problem.x0.shape:
            raise InputError(
                f"{type(self).__name__}._minimize must return the flat answer, a vector of "
                f"{problem.n} numbers; it returned {describe(answer)}."
            )
        return report(
            problem,
            ev,
            answer,
            method=type(self).__name__,
            success=None,
            status=None,
            message=f"answer returned by {type(self).__name__}._minimize",
            nit=None,
            elapsed=time.perf_counter() - start_time,
        )

    def _minimize(
        self,
        initial_val,
        loss_grad_func,
        equality_funcs,
        equality_grad_funcs,
        inequality_funcs,
        inequality_grad_funcs,
        packed_bounds,
        step_callback,
        optimizer_kwargs,
    ):
        """Wrapper for a particular optimization algorithm implementation.

        Called with keyword arguments: `initial_val` (the flat float64 start),
        `loss_grad_func(x) -> [loss, flat_gradient]`, `equality_funcs` and
        `inequality_funcs` (one function per constraint, returning its values:
        a number for a scalar constraint, a flat array otherwise),
        `equality_grad_funcs` and `inequality_grad_funcs` (their gradients: a
        flat vector for a scalar constraint, the (rows, n) Jacobian
        otherwise), `packed_bounds` (a (low, high) pair per element, None for
        unbounded; None without bounds), `step_callback(xk)` (call it once per
        iteration) and `optimizer_kwargs`. Return the flat answer.
        """
        raise NotImplementedError(
            "ExternalOptimizerInterface is a base class: subclass it and implement "
            "_minimize(initial_val, loss_grad_func, equality_funcs, equality_grad_funcs, "
            "inequality_funcs, inequality_grad_funcs, packed_bounds, step_callback, "
            "optimizer_kwargs) to wrap an algorithm, or use ScipyOptimizerInterface."
        )


class ScipyOptimizerInterface(ExternalOptimizerInterface):
    """Every method of `scipy.optimize.minimize` on the variables, with exact
    derivatives; `minimize` returns a `FitResult` and assigns the answer.

    `optimizer_kwargs`: `method` (default L-BFGS-B), `options`, `tol`, `hess`.
    """

    def _check_kwargs(self, kwargs: dict) -> None:
        for name in ("jac", "callback", "constraints"):
            if name in kwargs:
                raise InputError(
                    f"Optimizer keyword arg '{name}' is set automatically and cannot be "
                    "injected manually"
                )
        if "bounds" in kwargs:
            raise InputError("Bounds must be set using the var_to_bounds argument")
        unknown = sorted(set(kwargs) - set(SCIPY_KWARGS))
        if unknown:
            raise InputError(
                f"unknown optimizer keyword argument(s) {unknown}; ScipyOptimizerInterface "
                f"takes {list(SCIPY_KWARGS)}."
            )
        options = kwargs.get("options")
        if options is not None and not isinstance(options, dict):
            raise InputError(f"options must be a dict; got {describe(options)}.")
        tol = kwargs.get("tol")
        if tol is not None and (
            isinstance(tol, bool) or not isinstance(tol, int | float) or not tol >= 0
        ):
            raise InputError(f"tol must be None or a non-negative number; got {describe(tol)}.")
        # checked now, not at minimize; SciPy's own stopping rule, as in the seed
        self._scipy = Scipy.like_scipy(
            kwargs.get("method", "L-BFGS-B"), hessian=kwargs.get("hess"), options=options
        )
        self._scipy_tol = tol

    def _run(
        self, problem: Problem, step_callback: Callable | None, loss_callback: Callable | None
    ) -> FitResult:
        callback = None
        if step_callback is not None:

            def callback(info: Evaluation) -> None:
                step_callback(info.x)

        names = element_names(problem.packer)
        result = self._scipy._fit(
            problem,
            1.0,
            names,
            None,
            self._adapter.loss,
            None,
            callback=callback,
            loss_callback=loss_callback,
            scipy_tol=self._scipy_tol,
        )
        result._leaves = list(self._adapter.variables)
        return result


def _ignore(*_: Any) -> None:
    return None


def _row_function(function: Callable, rows: slice, scalar: bool) -> Callable:
    def rows_of(x: np.ndarray):
        out = function(np.asarray(x, dtype=np.float64))[rows]
        return out[0] if scalar else out.copy()

    return rows_of


def _as_list(value: Any, what: str) -> list:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _bound_pairs(var_to_bounds: Any) -> list[tuple[Any, Any]]:
    if isinstance(var_to_bounds, dict):
        return list(var_to_bounds.items())
    if isinstance(var_to_bounds, list | tuple) and all(
        isinstance(p, list | tuple) and len(p) == 2 for p in var_to_bounds
    ):
        return [tuple(p) for p in var_to_bounds]
    raise InputError(
        "var_to_bounds must be a dict {variable: (low, high)} or a sequence of "
        f"(variable, (low, high)) pairs; got {describe(var_to_bounds)}."
    )


def _variable_index(key: Any, adapter: VariableAdapter) -> int:
    """The position in var_list of a var_to_bounds key: the variable itself,
    its `ref()`, its name or its index."""
    variables = adapter.variables
    if hasattr(key, "deref"):
        key = key.deref()
    for i, var in enumerate(variables):
        if key is var:
            return i
    if isinstance(key, int) and not isinstance(key, bool):
        if 0 <= key < len(variables):
            return key
        raise InputError(
            f"var_to_bounds has the index {key}; var_list has {len(variables)} variables."
        )
    if isinstance(key, str):
        for i, name in enumerate(adapter.names):
            if name and key in (name, name.split(":")[0]):
                return i
    known = [n for n in adapter.names if n]
    raise InputError(
        f"var_to_bounds has the key {describe(key)}, which is not a variable of var_list; "
        "use the variable itself (its .ref() in TensorFlow 2), its name"
        + (f" (one of {known})" if known else "")
        + " or its index in var_list."
    )
