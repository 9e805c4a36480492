"""Running a `Problem` through `scipy.optimize.minimize`.

`ScipyMinimizer` reads the method's row of the capability table and derives
from it what to hand SciPy: which derivatives (exact from the backend, the
user's, or SciPy's finite differences), in which form (Hessian-vector products
or dense Hessians), the bounds, the constraints in the format the method takes,
and the callback. Afterwards it turns SciPy's answer into a `FitResult`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._errors import ExtoptError, InputError, MethodError, describe, warn
from ._evaluator import Evaluation, EvaluationLimit, Evaluator
from ._methods import (
    DENSE_HESSIAN_MAX,
    MethodSpec,
    able,
    check_memory,
    check_option_arrays,
    check_options,
    get_method,
)
from ._problem import FD_SCHEMES, Problem
from ._report import report
from ._result import RENAMED, FitResult

#: Marks a derivative the evaluator supplies exactly (from the backend or the user).
EXACT = "exact"


class _Stop(Exception):
    """Unwinds a method that cannot be stopped by StopIteration."""


_FD_FD = (
    "Whenever the gradient is estimated via finite-differences, we require the Hessian to be "
    "estimated using one of the quasi-Newton strategies."
)


@dataclass
class _Plan:
    """What SciPy gets for one run (derived from the method's table row)."""

    jac: Any = None
    hess: Any = None
    hessp: Any = None
    fuse: str = "value"
    constraint_hess: Any = None  # for trust-constr's NonlinearConstraint
    gradient_at_end: bool = False
    #: jac=None goes to SciPy as None: its own default differences, with the
    #: method's `eps` option (an absolute step) where it has one, as in SciPy.
    scipy_default_fd: bool = False


class HessianProduct:
    """The user's Hessian-vector product ``hessp(params, p, *args)`` (SciPy's
    `hessp`), given where a `hess` goes."""

    def __init__(self, hessp: Callable[..., Any]):
        if not callable(hessp):
            raise InputError(f"hessp must be callable or None; got {describe(hessp)}.")
        self.hessp = hessp

    def __repr__(self) -> str:
        return f"hessp={self.hessp!r}"


def check_derivatives(spec: MethodSpec, jac: Any, hess: Any) -> None:
    """Refuse derivative choices `spec` cannot use, whatever the problem.

    `jac`: None (exact), "user" (the user's gradient) or a finite-difference
    scheme; `hess`: as `ScipyMinimizer` takes it."""
    if spec.derivative_free and jac is not None:
        raise MethodError(
            f"{spec.name} uses no gradient, so jac={jac!r} would be ignored; drop it, or choose "
            f"a gradient method: {able('grad')}."
        )
    if spec.grad == "required" and jac in FD_SCHEMES:
        raise MethodError(
            f"{spec.name} needs the gradient as a function; SciPy refuses finite differences "
            f"({jac}) for it. Use jac=None for exact derivatives."
        )
    if hess is None:
        return
    if isinstance(hess, HessianProduct):
        if spec.hess in ("none", "hess") and spec.key != "trust-constr":
            raise MethodError(
                f"{spec.name} uses no Hessian-vector products, so {hess!r} would be ignored; "
                "methods that use them: ['Newton-CG', 'trust-ncg', 'trust-krylov', "
                "'trust-constr']."
            )
        return
    if spec.hess == "none":
        raise MethodError(
            f"{spec.name} uses no Hessian, so hess={describe(hess)} would be ignored; methods "
            f"that use one: {able('hess')}."
        )
    if isinstance(hess, str):
        if not spec.hess_fd:
            raise MethodError(
                f"{spec.name} cannot estimate the Hessian by finite differences ({hess!r}); "
                f"methods that can: {able('hess_fd')}."
            )
        if jac in FD_SCHEMES:
            raise MethodError(
                f"with a finite-difference gradient ({jac!r}) the Hessian of {spec.name} cannot "
                f"also be finite differences ({hess!r}); use a quasi-Newton update "
                "(hess=scipy.optimize.BFGS()) or exact derivatives. SciPy's words: " + _FD_FD
            )
    elif (not callable(hess) or isinstance(hess, type)) and not spec.hess_update:
        raise MethodError(
            f"{spec.name} cannot use a quasi-Newton Hessian ({describe(hess)}); methods "
            f"that can: {able('hess_update')}."
        )


class ScipyMinimizer:
    """One `scipy.optimize.minimize` method with its options.

    Parameters
    ----------
    method : the method name (case-insensitive); None picks L-BFGS-B, or SLSQP
        when there are general constraints.
    tol : SciPy's `tol` (a non-negative number) or None.
    options : the method's options, checked against the names SciPy's
        implementation takes.
    hess : None (exact second derivatives from the backend where the method
        uses them), a callable ``hess(params, *args) -> (n, n)``, a
        `scipy.optimize.HessianUpdateStrategy` (instance or class), or
        "2-point" / "3-point" / "cs".
    """

    def __init__(
        self,
        method: str | None = None,
        *,
        tol: float | None = None,
        options: dict | None = None,
        hess: Any = None,
    ):
        if method is not None:
            spec = get_method(method, constrained=False)
            check_options(spec, options)
        elif options is not None and not isinstance(options, dict):
            raise MethodError(f"options must be a dict; got {describe(options)}.")
        if tol is not None and (
            isinstance(tol, bool) or not isinstance(tol, int | float) or not tol >= 0
        ):
            raise InputError(f"tol must be None or a non-negative number; got {describe(tol)}.")
        _check_hess_type(hess)
        self.method = method
        self.tol = tol
        self.options = dict(options or {})
        self.hess = hess

    # -- planning -------------------------------------------------------------------
    def _spec_for(self, problem: Problem) -> MethodSpec:
        spec = get_method(self.method, constrained=problem.constraints is not None)
        check_options(spec, self.options)
        if problem.bounds is not None and not spec.bounds:
            raise MethodError(
                f"{spec.name} cannot take bounds (SciPy would ignore them); methods that take "
                f"bounds: {able('bounds')}."
            )
        cset = problem.constraints
        if cset is not None:
            for kind, present in (
                ("equality", cset.has_equality),
                ("inequality", cset.has_inequality),
            ):
                if present and not getattr(spec, kind):
                    raise MethodError(
                        f"{spec.name} cannot take {kind} constraints (SciPy would ignore them); "
                        f"methods that take them: {able(kind)}."
                    )
        return spec

    def _plan(self, spec: MethodSpec, problem: Problem) -> _Plan:
        """What to hand SciPy; "exact" stands for the evaluator's exact derivative."""
        plan = _Plan(fuse=spec.fuse)
        check_derivatives(spec, problem.jac, self.hess)
        # -- the gradient
        if spec.derivative_free:
            plan.gradient_at_end = problem.constraints is not None
        elif problem.jac in FD_SCHEMES or not problem.has_gradient:
            scheme = problem.jac if problem.jac in FD_SCHEMES else "2-point"
            if spec.grad == "required":  # the backend has no gradient
                raise MethodError(
                    f"{spec.name} needs the gradient as a function; SciPy refuses finite "
                    f"differences for it. Pass jac=callable, or use a backend with automatic "
                    "derivatives (jax, torch, tensorflow)."
                )
            if problem.jac is None:
                warn(
                    f"the {problem.backend.name} backend has no automatic gradient, so {spec.name} "
                    f"uses SciPy's {scheme} finite differences: {problem.n + 1} loss evaluations "
                    "per gradient. Pass jac= (a callable, or '2-point' to silence this), or use an "
                    "autodiff backend such as 'jax'."
                )
            plan.jac = scheme
            plan.scipy_default_fd = problem.jac is None and not problem.float32
            plan.fuse = "value_constraints" if spec.fuse == "everything" else "value"
            if plan.fuse == "value_constraints" and problem.jac in FD_SCHEMES:
                plan.fuse = "value"
        else:
            plan.jac = EXACT
            if problem.jac == "user" and problem.functions.grad is not None:
                # the user's own fun and jac: each called only where SciPy asks for it
                plan.fuse = "separate"
        hess = self.hess
        functions = problem.functions
        if spec.hess == "none":
            return plan
        if hess is None:
            exact = functions.hessp is not None
            if spec.hess == "hess" or (
                spec.key == "trust-constr" and problem.n <= DENSE_HESSIAN_MAX
            ):
                if functions.hess is None:
                    if spec.hess == "hess":
                        raise MethodError(
                            f"{spec.name} needs the Hessian matrix: pass hess=callable(params, "
                            "*args) returning an (n, n) array, or use a backend with automatic "
                            "derivatives (jax)."
                        )
                else:
                    plan.hess = EXACT
            elif exact:
                plan.hessp = EXACT
            elif spec.key in ("trust-ncg", "trust-krylov"):
                plan.hess = "2-point"
            if spec.key == "trust-constr" and problem.constraints is not None and exact:
                plan.constraint_hess = EXACT
        elif isinstance(hess, HessianProduct):
            plan.hessp = problem.user_hessp(hess.hessp)
            if spec.key == "trust-constr" and problem.constraints is not None:
                plan.constraint_hess = EXACT if functions.hessp is not None else None
        elif callable(hess) and not isinstance(hess, type):
            plan.hess = problem.user_hess(hess)
        elif isinstance(hess, str):
            if plan.jac in FD_SCHEMES:  # the backend has no gradient: SciPy's differences
                raise MethodError(
                    f"with a finite-difference gradient ({plan.jac!r}) the Hessian of "
                    f"{spec.name} cannot also be finite differences ({hess!r}); use a quasi-Newton "
                    "update (hess=scipy.optimize.BFGS()) or exact derivatives. SciPy's words: "
                    + _FD_FD
                )
            plan.hess = hess
            plan.constraint_hess = hess
        else:  # a HessianUpdateStrategy, class or instance
            plan.hess = hess() if isinstance(hess, type) else copy.deepcopy(hess)
            plan.constraint_hess = type(plan.hess)
        return plan

    # -- running --------------------------------------------------------------------
    def minimize(
        self,
        problem: Problem,
        *,
        callback: Callable[[Evaluation], Any] | None = None,
        loss_callback: Callable[[Evaluation], Any] | None = None,
    ) -> FitResult:
        """Minimize `problem` once and return a `FitResult`."""
        return self.start(problem, loss_callback=loss_callback).step(problem.x0, callback=callback)

    def start(
        self,
        problem: Problem,
        *,
        loss_callback: Callable | None = None,
        strategy: Any = None,
        max_evals: int | None = None,
    ) -> Run:
        """A `Run` of this method on `problem`: one evaluator (its cache, counts,
        NaN strategy and evaluation budget) for one or more SciPy calls."""
        if loss_callback is not None and not callable(loss_callback):
            raise InputError(
                f"loss_callback must be callable or None; got {describe(loss_callback)}."
            )
        spec = self._spec_for(problem)
        plan = self._plan(spec, problem)
        ev = Evaluator(
            problem.functions,
            plan.fuse,
            loss_callback,
            problem.packer.unpack,
            problem.x0,
            strategy=strategy,
            max_evals=max_evals,
            violation=problem.constraints.violation if problem.constraints is not None else None,
            eps=problem.eps,
            bounds=problem.bounds,
        )
        return Run(self, problem, spec, plan, ev)


class Run:
    """One method on one problem with one evaluator; `step` is one SciPy call
    (a fit with restarts makes several, sharing cache and counts)."""

    def __init__(
        self,
        minimizer: ScipyMinimizer,
        problem: Problem,
        spec: MethodSpec,
        plan: _Plan,
        ev: Evaluator,
    ):
        self.minimizer = minimizer
        self.problem = problem
        self.spec = spec
        self.plan = plan
        self.ev = ev
        self.options = dict(minimizer.options)
        check_option_arrays(spec, self.options, problem.n)
        check_memory(spec, problem.n)
        cset = problem.constraints
        if (
            spec.key == "trust-constr"
            and cset is not None
            and cset.eq_rows.size > problem.n
            and self.options.get("factorization_method") != "SVDFactorization"
        ):
            raise MethodError(
                f"trust-constr was given {cset.eq_rows.size} equality rows for {problem.n} "
                "parameters: more equality constraints than independent variables (SciPy's "
                "words), which its default factorization cannot take. Remove the dependent "
                "ones, or pass options={'factorization_method': 'SVDFactorization'}."
            )
        if problem.float32 and minimizer.tol is None:
            # SciPy's defaults ask more of a float32 loss than it can resolve.
            for name, value in spec.float32:
                self.options.setdefault(name, value)
        if (
            problem.float32
            and plan.jac in FD_SCHEMES
            and plan.jac != "cs"
            and "finite_diff_rel_step" in spec.options
        ):
            # SciPy's steps suit a float64 loss; a float32 one rounds them away.
            power = 0.5 if plan.jac == "2-point" else 1.0 / 3.0
            self.options.setdefault("finite_diff_rel_step", problem.eps**power)

    def step(
        self,
        x0: np.ndarray,
        *,
        options: dict | None = None,
        callback: Callable[[Evaluation], Any] | None = None,
    ) -> FitResult:
        """One SciPy call from `x0` with `options` on top of the run's options."""
        from scipy.optimize import Bounds, HessianUpdateStrategy, minimize

        if callback is not None and not callable(callback):
            raise InputError(f"callback must be callable or None; got {describe(callback)}.")
        problem, spec, plan, ev = self.problem, self.spec, self.plan, self.ev
        options = {**self.options, **(options or {})}
        exact = {"jac": ev.grad, "hess": ev.hess, "hessp": ev.hessp}
        kwargs: dict[str, Any] = {
            "method": spec.custom or spec.name,
            "tol": self.minimizer.tol,
            "options": options,
        }
        for name in ("jac", "hess", "hessp"):
            value = getattr(plan, name)
            if name == "jac" and plan.scipy_default_fd:
                continue
            if value is not None:
                kwargs[name] = exact[name] if value is EXACT else _recorded(ev, value)
        if isinstance(plan.hess, HessianUpdateStrategy):
            kwargs["hess"] = copy.deepcopy(plan.hess)  # a fresh quasi-Newton state per call
        fun = ev.fun
        if plan.jac is EXACT and plan.fuse == "value_and_grad":
            # Value and gradient always together: one call, and SciPy memoizes the pair.
            fun, kwargs["jac"] = ev.fun_and_grad, True
        if problem.bounds is not None:
            kept = problem.keep_feasible
            kwargs["bounds"] = Bounds(
                *problem.bounds, keep_feasible=False if kept is None else kept
            )
        if problem.constraints is not None:
            kwargs["constraints"] = _scipy_constraints(spec, problem, ev, plan)
        state = _CallbackState()
        if callback is not None:
            kwargs["callback"] = _callback(spec, ev, callback, state)

        pool = None
        if options.get("workers") is not None:
            from ._dropin import scipy_workers

            mapper, pool = scipy_workers(options["workers"], problem, ev)
            kwargs["options"] = {**options, "workers": mapper}
        start = time.perf_counter()
        evaluated = ev.counts.nfev
        with problem.backend.session():
            try:
                raw = minimize(fun, np.array(x0, dtype=np.float64), **kwargs)
            except _Stop:
                raw = None
            except EvaluationLimit:
                raw, state.limit = None, True
            except Exception as exc:
                if exc is ev.error or isinstance(exc, ExtoptError):
                    raise  # the user's own, or extopt's
                if isinstance(exc, ValueError | TypeError) and ev.counts.nfev - evaluated <= 1:
                    # SciPy refused an input before the run began (an option's value,
                    # an initial simplex or matrix): the user's to fix, in SciPy's words
                    raise MethodError(
                        f"{spec.name} refused its input: {exc} (SciPy's own check)"
                    ) from exc
                # SciPy's own failure (trust-constr on negative curvature, ...):
                # an unsuccessful run that answers with the best point seen.
                raw, state.failed = None, exc
            finally:
                if pool is not None:
                    pool.close()
                    pool.join()
            elapsed = time.perf_counter() - start
            budget, ev.max_evals = ev.max_evals, None  # the report may evaluate the answer
            try:
                return _finish(spec, problem, ev, plan, raw, state, elapsed, options)
            finally:
                ev.max_evals = budget


# -- pieces of the run --------------------------------------------------------------


def _recorded(ev: Evaluator, value: Any) -> Any:
    """A user's derivative callable (a `hess`) whose exceptions are recorded as
    the user's; SciPy's own settings (a string, a Hessian update) as they are."""
    if not callable(value) or isinstance(value, type) or hasattr(value, "initialize"):
        return value

    def call(*args: Any) -> Any:
        return ev._user(value, *args)

    return call


def _check_hess_type(hess: Any) -> None:
    from scipy.optimize import HessianUpdateStrategy

    if hess is None or isinstance(hess, HessianUpdateStrategy | HessianProduct):
        return
    if isinstance(hess, type) and issubclass(hess, HessianUpdateStrategy):
        return
    if isinstance(hess, str):
        if hess not in FD_SCHEMES:
            raise InputError(
                f"hess must be None, a callable, a HessianUpdateStrategy or one of "
                f"{list(FD_SCHEMES)}; got {hess!r}."
            )
        return
    if callable(hess) and not isinstance(hess, type):
        return
    raise InputError(
        f"hess must be None, a callable, a scipy.optimize.HessianUpdateStrategy "
        f"(BFGS, SR1) or one of {list(FD_SCHEMES)}; got {describe(hess)}."
    )


def _scipy_constraints(spec: MethodSpec, problem: Problem, ev: Evaluator, plan: _Plan) -> Any:
    """The problem's constraint rows in the format `spec` takes."""
    from scipy.optimize import NonlinearConstraint

    cset = problem.constraints
    if spec.constraints == "dict":
        return cset.as_dicts(ev, with_jac=not spec.derivative_free)
    if spec.derivative_free:  # COBYQA
        return [NonlinearConstraint(ev.constraints, cset.lb, cset.ub)]
    # trust-constr: every row in one object, with the Lagrangian Hessian of the
    # constraints: sum_i v_i * Hessian(c_i).
    return [
        NonlinearConstraint(
            ev.constraints,
            cset.lb,
            cset.ub,
            jac=ev.constraints_jac,
            hess=_constraint_hess(problem, ev, plan),
        )
    ]


def _constraint_hess(problem: Problem, ev: Evaluator, plan: _Plan) -> Any:
    """The `hess` of trust-constr's constraint: exact (dense while small, a
    Hessian-vector-product operator above), or what `plan` asks for."""
    from scipy.optimize import BFGS
    from scipy.sparse.linalg import LinearOperator

    kind = plan.constraint_hess
    if isinstance(kind, type):
        return kind()
    if isinstance(kind, str) and kind != EXACT:
        return kind
    if kind != EXACT or problem.functions.constraints_hess is None:
        return BFGS()
    n = problem.n
    if n <= DENSE_HESSIAN_MAX:
        return ev.constraints_hess

    def hess_op(x, v):
        x = np.array(x, dtype=np.float64)
        v = np.array(v, dtype=np.float64)
        return LinearOperator(
            (n, n), matvec=lambda p: ev.constraints_hessp(x, v, np.ravel(p)), dtype=np.float64
        )

    return hess_op


@dataclass
class _CallbackState:
    nit: int = 0
    stopped: bool = False
    limit: bool = False
    x: np.ndarray | None = None
    failed: BaseException | None = None


def _callback(
    spec: MethodSpec, ev: Evaluator, user: Callable[[Evaluation], Any], state: _CallbackState
):
    """The callback SciPy calls: builds the user's `Evaluation`, and ends the run
    cleanly when the user returns True or raises StopIteration."""

    def step(x: np.ndarray, raw: Any) -> None:
        state.nit += 1
        x = np.array(x, dtype=np.float64).ravel()
        try:
            stop = ev._user(user, ev.evaluation(x, state.nit, raw))
        except StopIteration:
            stop = True
        if stop is True:
            state.stopped = True
            state.x = x
            if spec.stop == "StopIteration":
                raise StopIteration
            raise _Stop

    if spec.callback == "x":

        def callback(xk):
            step(xk, None)
    else:

        def callback(intermediate_result):
            step(intermediate_result.x, intermediate_result)

    return callback


def _finish(
    spec: MethodSpec,
    problem: Problem,
    ev: Evaluator,
    plan: _Plan,
    raw: Any,
    state: _CallbackState,
    elapsed: float,
    options: dict,
) -> FitResult:
    """The `FitResult` of a finished (or stopped) run."""
    if state.limit or state.failed is not None:  # the best point seen is the answer
        x = ev.answer_x if ev.answer_x is not None else problem.x0
    else:
        x = state.x if raw is None else np.array(raw.x, dtype=np.float64).ravel()
    # What SciPy knows at x: its gradient estimate when it used finite
    # differences, its multipliers (SLSQP, trust-constr; bounds last there).
    g = lam = bound_mult = None
    if raw is not None and not problem.has_gradient:
        if "grad" in raw:
            g = np.asarray(raw["grad"], dtype=np.float64)
        elif spec.grad != "none" and "jac" in raw:
            g = np.asarray(raw["jac"], dtype=np.float64)
    cset = problem.constraints
    if raw is not None and cset is not None:
        lam = _multipliers(spec, raw, cset)
    if raw is not None and spec.multipliers == "trust-constr" and problem.bounds is not None:
        bound_mult = -np.asarray(raw["v"][-1], dtype=np.float64)
    if state.limit:
        success, status = False, "maxiter"
        message = (
            f"the evaluation budget ({ev.counts.nfev} loss evaluations) is spent; the "
            "best point seen is the answer"
        )
    elif state.failed is not None:
        success, status = False, "failed"
        message = (
            f"SciPy's {spec.name} failed: {type(state.failed).__name__}: {state.failed}; the "
            "best point seen is the answer"
        )
    elif state.stopped:
        # SciPy's words where SciPy stopped the run, the same words where extopt did
        success, message, status = False, "`callback` raised `StopIteration`.", 99
        if raw is not None:
            message = str(raw.get("message", message))
            status = raw.get("status", status)
            success = bool(raw.get("success", False)) if spec.key == "cobyqa" else False
    else:
        success = bool(raw.get("success", False))
        status, message = raw.get("status"), str(raw.get("message", ""))
    res = report(
        problem,
        ev,
        x,
        method=spec.name,
        success=success,
        status=status,
        message=message,
        nit=int(raw["nit"]) if raw is not None and "nit" in raw else state.nit,
        elapsed=elapsed,
        gradient=not spec.derivative_free or plan.gradient_at_end,
        g=g,
        lam=lam,
        bound_mult=bound_mult,
    )
    _scipy_fixed_jac(spec, problem, res)
    res._stopped = state.stopped
    res["scipy_result"] = raw
    res["options"] = options
    if raw is not None:
        for key, value in raw.items():
            if key in (
                "x",
                "fun",
                "nit",
                "nfev",
                "njev",
                "nhev",
                "success",
                "status",
                "message",
                "constr",
                "constr_violation",
                "optimality",
            ):
                continue
            if key == "jac":
                if spec.key == "trust-constr":
                    res["constr_jac"] = value
                continue
            res.setdefault(RENAMED.get(key, key), value)
    return res


def _scipy_fixed_jac(spec: MethodSpec, problem: Problem, res: FitResult) -> None:
    """SciPy's convention for parameters fixed by equal bounds: L-BFGS-B, TNC
    and SLSQP take them out of the problem when any derivative (of the loss or
    of a constraint) is finite-differenced, and report NaN as their gradient
    ("not computed"). `res.jac` follows it; `res.jac_flat` keeps what extopt
    knows."""
    if spec.key not in ("l-bfgs-b", "tnc", "slsqp") or problem.bounds is None:
        return
    fixed = problem.bounds[0] == problem.bounds[1]
    g = res.get("jac_flat")
    if g is None or not fixed.any():
        return
    cset = problem.constraints
    differenced = not problem.has_gradient or (
        cset is not None and problem.functions.constraints_jac is None
    )
    if differenced:
        shown = np.array(g, dtype=np.float64)
        shown[fixed] = np.nan
        res["jac"] = problem.packer.unpack(shown)


def _multipliers(spec: MethodSpec, raw: Any, cset) -> np.ndarray | None:
    """SciPy's constraint multipliers per row in extopt's convention
    (grad f = J^T lam + ...), or None when the method reports none."""
    if spec.multipliers == "slsqp" and "multipliers" in raw:
        mult = np.asarray(raw["multipliers"], dtype=np.float64)
        if mult.size == cset.eq_rows.size + cset.lo_rows.size + cset.up_rows.size:
            return cset.rows_from_dict_multipliers(mult)
    if spec.multipliers == "trust-constr" and "v" in raw:
        return -np.asarray(raw["v"][0], dtype=np.float64)
    return None
