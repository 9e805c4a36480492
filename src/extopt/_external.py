"""The extension point: how any outside algorithm becomes an extopt minimizer.

A minimizer is a `BaseMinimizer` subclass that says what it can take
(`capabilities`) and implements `run(task) -> Outcome`. extopt does the rest
the same way for every algorithm: it builds the flat problem (packing, bounds,
constraint rows, compiled derivatives), checks the inputs against the
capabilities, hands the algorithm a `Task` (the start point, the flat bounds
and constraint rows, and cached, counted functions for every derivative),
restarts it while the convergence criterion is not met, applies the NaN
strategy and the evaluation budget, and turns the algorithm's `Outcome` into a
`FitResult` (multipliers estimated when the algorithm reports none,
uncertainties, parameters by name).

Wrapping a new algorithm takes a few lines::

    class GradientDescent(extopt.BaseMinimizer):
        capabilities = extopt.Capabilities(bounds=True)
        option_names = ("rate",)

        def run(self, task):
            x, rate = task.x0, self.options.get("rate", 0.1)
            for nit in range(1, 100_000):
                step = np.clip(x - rate * task.grad(x), task.lower, task.upper) - x
                x = x + step
                if task.callback(x) or np.max(np.abs(step)) < 1e-10:
                    break
            return extopt.Outcome(x, success=True, message="steps became tiny", nit=nit)

Minuit, NLopt and Ipopt are wrapped exactly this way (`extopt._minuit`,
`extopt._nlopt`, `extopt._ipopt`), with no private hook.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._errors import ExtoptError, warn
from ._evaluator import EvaluationLimit, Evaluator
from ._problem import Problem
from ._report import report
from ._result import FitResult


@dataclass(frozen=True)
class Capabilities:
    """What an algorithm can take; extopt refuses a problem it cannot, with an
    error that says so, instead of letting the algorithm ignore part of it.

    bounds : it takes lower/upper bounds on the parameters.
    equalities, inequalities : it takes general constraints of that kind.
    gradient : it uses the gradient (False: derivative-free; no gradient is
        computed during the run).
    hessian : it uses second derivatives (`Task.hess`, `Task.lagrangian_hess`).
    requires_bounds : every parameter needs finite bounds (global methods).
    """

    bounds: bool = False
    equalities: bool = False
    inequalities: bool = False
    gradient: bool = True
    hessian: bool = False
    requires_bounds: bool = False

    def refuse(self, problem: Problem, name: str) -> None:
        """Raise a `MethodError` for what `problem` has and the algorithm cannot take."""
        from ._errors import MethodError

        cset = problem.constraints
        wants = [
            ("bounds", problem.bounds is not None, self.bounds),
            ("equality constraints", cset is not None and cset.has_equality, self.equalities),
            (
                "inequality constraints",
                cset is not None and cset.has_inequality,
                self.inequalities,
            ),
        ]
        for what, present, able in wants:
            if present and not able:
                raise MethodError(
                    f"{name} cannot take {what}; it would ignore them. Choose a minimizer that "
                    f"takes {what} (see the method table in the README)."
                )
        if self.requires_bounds:
            lower, upper = problem.bounds if problem.bounds is not None else (None, None)
            if lower is None or not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
                raise MethodError(
                    f"{name} is a global method: it searches a box, so every parameter needs "
                    "finite lower and upper bounds (bounds=, or 'lower'/'upper' in params)."
                )


@dataclass
class Outcome:
    """What an algorithm's `run` returns.

    x : the answer, a flat float64 vector of length `task.n`.
    success : whether the algorithm says it succeeded (extopt's own criterion
        decides `converged` and `valid` on top of this).
    message : the algorithm's words. status : its status code or name.
    nit : iterations. multipliers : per constraint row, in extopt's convention
        (``grad f = J^T multipliers + z_lower - z_upper``); None lets extopt
        estimate them. bound_multipliers : ``z_lower - z_upper`` per parameter.
    hess_inv : the algorithm's inverse-Hessian approximation (n x n), if any
        (used by the EDM criterion and ``hesse(method="approx")``).
    fields : more entries for the `FitResult` (e.g. the algorithm's own object).
    """

    x: np.ndarray
    success: bool
    message: str = ""
    status: Any = None
    nit: int | None = None
    multipliers: np.ndarray | None = None
    bound_multipliers: np.ndarray | None = None
    hess_inv: np.ndarray | None = None
    fields: dict[str, Any] = field(default_factory=dict)


class Task:
    """One run of an algorithm on the flat problem: the start, the bounds and
    constraint rows as flat arrays, and the functions it may call.

    Every function takes a flat float64 vector; values are cached per point
    (asking for the value and then the gradient at the same point costs one
    framework call), counted, checked by the NaN strategy and charged to the
    evaluation budget. An algorithm never needs to catch what they raise: the
    run ends cleanly with the best point seen when the budget is spent, and
    extopt applies the strategy on NaN.

    Attributes
    ----------
    n, x0 : the number of parameters and the start point (a copy).
    lower, upper : flat bounds, -inf / +inf where unbounded.
    bounded : whether the problem has bounds at all.
    m : the number of constraint rows; `constraint_lower` <= c(x) <=
        `constraint_upper` row-wise (equal for equalities; -inf / +inf open).
    equality_rows, inequality_rows : the row indices of each kind.
    step_sizes : initial step sizes per parameter (from params or `init`), or None.
    tol, errordef : the minimizer's tolerance and the loss's errordef; the
        fit is converged when the EDM is below ``tol * errordef``.
    restart : 0 for the first run; k when the criterion was not met and the
        run is asked to stop 10**-k tighter.
    max_evals : the evaluation budget left (None: no budget).
    options : the minimizer's options. init : the `FitResult` this fit
        starts from, if any. names : the parameter names.
    """

    def __init__(
        self,
        problem: Problem,
        ev: Evaluator,
        *,
        x0: np.ndarray,
        jac: Any,
        steps: np.ndarray | None,
        tol: float,
        errordef: float,
        restart: int,
        options: dict,
        init: FitResult | None,
        names: Any,
        callback: Callable | None,
    ):
        self._problem = problem
        self._ev = ev
        self.n = problem.n
        self.x0 = np.array(x0, dtype=np.float64)
        #: The start as the user gave it where it lay outside the bounds (`x0`
        #: is moved inside), on the first run only: for algorithms that move an
        #: infeasible start inside themselves. None otherwise.
        self.x0_given = (
            problem.x0_given
            if restart == 0 and problem.x0_given is not None and np.array_equal(x0, problem.x0)
            else None
        )
        self.bounded = problem.bounds is not None
        if self.bounded:
            self.lower, self.upper = (np.array(b, dtype=np.float64) for b in problem.bounds)
        else:
            self.lower, self.upper = np.full(self.n, -np.inf), np.full(self.n, np.inf)
        cset = problem.constraints
        self.m = cset.m if cset is not None else 0
        self.constraint_lower = cset.lb.copy() if cset is not None else np.zeros(0)
        self.constraint_upper = cset.ub.copy() if cset is not None else np.zeros(0)
        eq = self.constraint_lower == self.constraint_upper
        self.equality_rows = np.flatnonzero(eq)
        self.inequality_rows = np.flatnonzero(~eq)
        self.step_sizes = None if steps is None else np.array(steps, dtype=np.float64)
        self.tol = tol
        self.errordef = errordef
        self.restart = restart
        self.max_evals = None if ev.max_evals is None else max(ev.max_evals - ev.counts.nfev, 0)
        self.options = options
        self.init = init
        self.names = names
        self._jac = jac
        self._callback = callback
        self.nit = 0
        self.stopped_at: np.ndarray | None = None
        self.error: BaseException | None = None

    # -- what the algorithm calls ------------------------------------------------------
    def fun(self, x: np.ndarray) -> float:
        """The loss at `x`."""
        return self._call(self._ev.fun, x)

    def grad(self, x: np.ndarray) -> np.ndarray:
        """The gradient at `x` (exact, or the finite differences the user chose)."""
        if self._jac is None:
            return self._call(self._ev.grad, x)
        return self._call(self._fd_grad, x)

    def fun_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Value and gradient at `x` (one framework call with autodiff)."""
        if self._jac is None:
            return self._call(self._ev.fun_and_grad, x)
        return self.fun(x), self.grad(x)

    def hess(self, x: np.ndarray) -> np.ndarray:
        """The Hessian of the loss at `x`, (n, n)."""
        return self._call(self._ev.hess, x)

    def hessp(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """The Hessian of the loss at `x` times `p`."""
        return self._call(lambda y: self._ev.hessp(y, np.asarray(p, np.float64)), x)

    def constraints(self, x: np.ndarray) -> np.ndarray:
        """The constraint rows c(x), (m,)."""
        return self._call(self._ev.constraints, x)

    def constraints_jac(self, x: np.ndarray) -> np.ndarray:
        """Their Jacobian, (m, n), exact where the backend differentiates."""
        return self._call(self._ev.constraints_jac, x)

    def lagrangian_hess(self, x: np.ndarray, v: np.ndarray, obj_factor: float = 1.0):
        """``obj_factor * H_f(x) + sum_i v_i H_{c_i}(x)``, (n, n)."""

        def value(y):
            h = obj_factor * self._ev.hess(y) if obj_factor else np.zeros((self.n, self.n))
            if self.m:
                h = h + self._ev.constraints_hess(y, np.asarray(v, np.float64))
            return h

        return self._call(value, x)

    @property
    def has_hessian(self) -> bool:
        """Whether exact second derivatives exist (autodiff backends)."""
        f = self._problem.functions
        return f.hess is not None and (self.m == 0 or f.constraints_hess is not None)

    def callback(self, x: np.ndarray, nit: int | None = None) -> bool:
        """Call once per iteration with the current point: reports progress,
        runs the user's callback, and returns True when the run must stop (the
        user asked; extopt then answers with this point whatever the
        algorithm returns)."""
        self.nit = self.nit + 1 if nit is None else int(nit)
        if self.stopped_at is not None:
            return True
        if self._callback is None:
            return False
        x = np.array(x, dtype=np.float64).ravel()
        try:
            stop = self._callback(self._ev.evaluation(x, self.nit))
        except StopIteration:
            stop = True
        except BaseException as exc:
            self.error = exc
            raise
        if stop is True:
            self.stopped_at = x
        return stop is True

    @property
    def stopped(self) -> bool:
        """Whether the user's callback asked the run to stop."""
        return self.stopped_at is not None

    # -- behind them -------------------------------------------------------------------
    def _call(self, function: Callable, x: Any) -> Any:
        """Call `function` at a copy of `x`, remembering what it raised: some
        algorithms swallow the exceptions of their callbacks, and extopt must
        still see the budget spent, a NaN, or an error of the user's."""
        if self.error is not None:
            raise self.error  # the algorithm went on after an error: stop it again
        try:
            return function(np.array(x, dtype=np.float64).ravel())
        except BaseException as exc:
            self.error = exc
            raise

    def _fd_grad(self, x: np.ndarray) -> np.ndarray:
        if self._jac == "3-point":
            steps = np.cbrt(self._ev.eps) * np.maximum(1.0, np.abs(x))
            out = np.empty(x.size)
            for i, h in enumerate(steps):
                up, down = x.copy(), x.copy()
                up[i] += h
                down[i] -= h
                out[i] = (self._ev.fun(up) - self._ev.fun(down)) / (up[i] - down[i])
            return out
        return self._ev.fd_grad(x)


class ExternalRun:
    """Runs a `BaseMinimizer.run` on one problem with one evaluator; `step` is
    one run from a start point (a fit with restarts makes several)."""

    def __init__(self, minimizer: Any, problem: Problem, ev: Evaluator, *, jac, steps, init, names):
        self.minimizer = minimizer
        self.jac = jac
        self.problem = problem
        self.ev = ev
        self.steps = steps
        self.init = init
        self.names = names
        self.method = minimizer.name
        self.errordef = 1.0

    def step(
        self, x0: np.ndarray, *, restart: int = 0, previous: FitResult | None = None, callback=None
    ) -> FitResult:
        minimizer, problem, ev = self.minimizer, self.problem, self.ev
        steps = self.steps
        if restart and previous is not None and previous.get("hess_inv") is not None:
            steps = None  # the algorithm may use hess_inv from init instead
        task = Task(
            problem,
            ev,
            x0=x0,
            jac=self.jac,
            steps=steps,
            tol=minimizer.tol,
            errordef=self.errordef,
            restart=restart,
            options=dict(minimizer.options),
            init=previous if previous is not None else self.init,
            names=self.names,
            callback=callback,
        )
        start = time.perf_counter()
        limit = False
        outcome: Outcome | None = None
        with problem.backend.session():
            try:
                outcome = minimizer.run(task)
            except EvaluationLimit:
                limit = True
            except Exception:
                if task.error is None:
                    raise  # the algorithm's own error
            # What the functions raised decides, also when the algorithm caught it
            # or turned it into an error of its own.
            error = task.error
            if error is not None and not limit:
                if not isinstance(error, EvaluationLimit):
                    raise error
                limit = True
            if not (limit or task.stopped_at is not None or isinstance(outcome, Outcome)):
                raise ExtoptError(
                    f"{type(minimizer).__name__}.run must return an extopt.Outcome; got "
                    f"{type(outcome).__name__}."
                )
            elapsed = time.perf_counter() - start
            budget, ev.max_evals = ev.max_evals, None  # the report may evaluate the answer
            try:
                return self._finish(task, outcome, limit, elapsed)
            finally:
                ev.max_evals = budget

    def _finish(self, task: Task, outcome: Outcome | None, limit: bool, elapsed: float):
        problem, ev = self.problem, self.ev
        caps = self.minimizer.capabilities
        lam = bound_mult = None
        fields: dict[str, Any] = {}
        if limit:
            x = ev.answer_x if ev.answer_x is not None else task.x0
            success, status = False, "maxiter"
            message = (
                f"the evaluation budget ({ev.counts.nfev} loss evaluations) is spent; the "
                "best point seen is the answer"
            )
            nit = task.nit
        elif task.stopped_at is not None:
            x = task.stopped_at
            success, status = False, "stopped"
            message = f"stopped by the callback at iteration {task.nit}"
            nit = task.nit
        else:
            x = np.array(outcome.x, dtype=np.float64).ravel()
            if x.shape != (problem.n,):
                raise ExtoptError(
                    f"{type(self.minimizer).__name__}.run returned x of shape {x.shape}; the "
                    f"problem has {problem.n} parameters."
                )
            if not np.all(np.isfinite(x)):
                raise ExtoptError(
                    f"{type(self.minimizer).__name__}.run returned x with non-finite values "
                    f"({np.array2string(x, threshold=8)}); return the best finite point, "
                    "with success=False."
                )
            success, status, message = bool(outcome.success), outcome.status, outcome.message
            nit = outcome.nit if outcome.nit is not None else task.nit
            lam, bound_mult = outcome.multipliers, outcome.bound_multipliers
            fields = dict(outcome.fields)
            if outcome.hess_inv is not None:
                fields["hess_inv"] = np.asarray(outcome.hess_inv, dtype=np.float64)
        res = report(
            problem,
            ev,
            x,
            method=self.method,
            success=success,
            status=status,
            message=message,
            nit=nit,
            elapsed=elapsed,
            gradient=caps.gradient or problem.constraints is not None,
            lam=None if lam is None else np.asarray(lam, dtype=np.float64),
            bound_mult=None if bound_mult is None else np.asarray(bound_mult, dtype=np.float64),
        )
        for key, value in fields.items():
            res[key] = value
        res._stopped = task.stopped_at is not None
        return res


def require(module: str, extra: str, who: str) -> None:
    """A clear error when the optional package `module` is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        from ._errors import BackendError

        raise BackendError(
            f"{who} needs the package {module!r}, which is not installed; install it with "
            f"pip install 'extopt[{extra}]' (or pip install {module})."
        )


def warn_finite_differences(problem: Problem, name: str) -> None:
    """Say once that a gradient algorithm runs on forward differences."""
    warn(
        f"the {problem.backend.name} backend has no automatic gradient, so {name} uses "
        f"forward differences: {problem.n + 1} loss evaluations per gradient. Pass "
        "jac='2-point' (extopt.minimize) or gradient='2-point' (a minimizer object) to "
        "silence this, or use an autodiff backend such as 'jax'."
    )


__all__ = ["Capabilities", "ExternalRun", "Outcome", "Task", "require"]


def supplied(caps: Capabilities) -> str:
    """The derivatives extopt hands an algorithm with these capabilities, in words
    (with an autodiff backend)."""
    if not caps.gradient:
        return "none (values only)"
    constrained = caps.equalities or caps.inequalities
    parts = ["gradient"]
    if constrained:
        parts.append("constraint Jacobians")
    if caps.hessian:
        parts.append("Hessian of the Lagrangian" if constrained else "Hessian")
    return ", ".join(parts)


def markdown_table() -> str:
    """The README's table of the minimizers beyond SciPy, made from their
    `Capabilities` (NLopt's per algorithm: its own table)."""
    from ._ipopt import Ipopt
    from ._methods import mark
    from ._minuit import Minuit

    rows = [
        "| `method=` | class | extra | bounds | equality | inequality | "
        "derivatives extopt supplies |",
        "|---|---|---|---|---|---|---|",
    ]
    for method, cls in (("minuit", Minuit), ("ipopt", Ipopt)):
        caps = cls.capabilities
        rows.append(
            f"| {method} | `{cls.__name__}` | {cls.requires[1]} | {mark(caps.bounds)} | "
            f"{mark(caps.equalities)} | {mark(caps.inequalities)} | {supplied(caps)} |"
        )
    rows.append(
        "| nlopt:ALGORITHM | `NLopt(algorithm)`, `NLoptSLSQP`, ... | nlopt | "
        "per algorithm ([NLopt](#other-optimizers-minuit-ipopt-nlopt)) | | | "
        "gradient and constraint Jacobians for LD_/GD_ algorithms, none for LN_/GN_ |"
    )
    return "\n".join(rows)
