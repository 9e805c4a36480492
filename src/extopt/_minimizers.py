"""Reusable minimizer objects (zfit's API): a minimizer holds its settings,
`minimize(loss, params, init)` fits and returns a `FitResult`.

A fit is one or more runs of the external algorithm on the same flat problem,
sharing one evaluator (its cache, its counts, its NaN strategy and its
evaluation budget). After each run the convergence criterion decides: the EDM
(estimated distance to the minimum, 1/2 g^T H^-1 g) below ``tol * errordef``
is converged, the same rule for every minimizer. A run that stops short is
restarted from where it stopped with its stopping tolerances ten times
tighter, at most `MAX_RESTARTS` times; a run that makes no progress, or a
criterion that is not a number, ends the fit instead of looping.

`extopt.minimize` is a `Scipy` minimizer with no criterion: one run, SciPy's
own stopping rule, SciPy's answer.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from ._errors import ExtoptError, InputError, MethodError, describe
from ._evaluator import Evaluation, EvaluationLimit, Evaluator
from ._external import Capabilities, ExternalRun, Outcome, Task, require, warn_finite_differences
from ._log import Progress, check_verbosity, logger, shown
from ._methods import METHODS, MethodSpec, check_options, get_method, method_names
from ._params import (
    ElementNames,
    ParamSpec,
    ParamTable,
    ValueView,
    as_loss,
    element_names,
    parse_params,
)
from ._problem import FD_SCHEMES, Problem
from ._report import report
from ._result import FitResult
from ._scipy import ScipyMinimizer, check_derivatives
from ._strategy import NaNError, Strategy, get_strategy
from ._verdict import edm

#: How many times a fit restarts a method that stopped short of the criterion.
MAX_RESTARTS = 5
#: How many of those restarts may start from a step out of a saddle point.
MAX_ESCAPES = 3


# -- convergence criteria ---------------------------------------------------------------


class ConvergenceCriterion:
    """Decides whether a result is at the minimum: `calculate(result)` below
    ``tol * errordef``."""

    name = "criterion"

    def __init__(self, tol: float = 1e-3, loss: Any = None, params: Any = None):
        self.tol = _check_tol(tol)
        self.loss = loss
        self.params = params
        self.last_value = math.nan

    def calculate(self, result: FitResult) -> float:
        raise NotImplementedError

    def converged(self, result: FitResult) -> bool:
        value = self.calculate(result)
        self.last_value = value
        errordef = result.get("errordef") or 1.0
        return bool(math.isfinite(value) and value < self.tol * errordef)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(tol={self.tol})"


class EDM(ConvergenceCriterion):
    """The estimated distance to the minimum, 1/2 g^T H^-1 g, in the directions
    where the parameters are free (g the Lagrangian gradient where constraints
    are active), with H the exact Hessian of the Lagrangian from the backend
    (central differences of the gradient for the NumPy backend), never the
    algorithm's own approximation; flat directions count with a curvature
    floor, so a gradient along one makes the EDM large."""

    name = "edm"

    def calculate(self, result: FitResult) -> float:
        try:
            return edm(result)
        except np.linalg.LinAlgError:
            return math.nan


def _check_tol(tol: Any) -> float:
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not tol > 0:
        raise InputError(f"tol must be a positive number; got {describe(tol)}.")
    return float(tol)


# -- the evaluator as zfit hands it out -------------------------------------------------


class LossEval:
    """The loss as an algorithm sees it (`create_evaluator`): NumPy values,
    counted evaluations, the strategy on NaN, a budget of `maxiter`
    evaluations (`EvaluationLimit` when spent)."""

    def __init__(self, ev: Evaluator, numpy_converter: Callable | None, backend: Any):
        self._ev = ev
        self._convert = numpy_converter or (lambda a: a)
        self._session = backend.session  # JAX: the float64 scope

    def value(self, x):
        with self._session():
            return self._convert(self._ev.fun(np.asarray(x, dtype=np.float64)))

    def gradient(self, x):
        with self._session():
            return self._convert(self._ev.grad(np.asarray(x, dtype=np.float64)))

    def value_gradient(self, x):
        x = np.asarray(x, dtype=np.float64)
        with self._session():
            g = self._ev.grad(x)
            return self._convert(self._ev.fun(x)), self._convert(g)

    def hessian(self, x):
        with self._session():
            return self._convert(self._ev.hess(np.asarray(x, dtype=np.float64)))

    @property
    def nfunc_eval(self) -> int:
        return self._ev.counts.nfev

    @property
    def ngrad_eval(self) -> int:
        return self._ev.counts.njev

    @property
    def nhess_eval(self) -> int:
        return self._ev.counts.nhev

    @property
    def maxiter(self) -> int | None:
        return self._ev.max_evals


# -- the minimizers --------------------------------------------------------------------


class BaseMinimizer:
    """A reusable minimizer: settings at construction, `minimize` fits.

    This is also the extension point: a subclass that sets `capabilities` and
    implements `run(task) -> Outcome` is a complete minimizer (see
    `extopt.Task`, `extopt.Outcome` and the README's "Wrapping an algorithm").

    Parameters
    ----------
    tol : the convergence target: converged when the criterion (EDM) is below
        ``tol * errordef``. Default 1e-3.
    gradient : None, False or "auto": the exact automatic gradient; True: the
        method's own default (SciPy's 2-point finite differences); "2-point",
        "3-point", "cs": SciPy's finite differences.
    hessian : for methods that use one: None or "auto" (exact second
        derivatives), "bfgs" or "sr1" (or a `scipy.optimize.HessianUpdateStrategy`
        class or instance), "2-point", "3-point", "cs", or a callable.
    verbosity : 0 (silent) to 10 (every evaluation); see `extopt._log`.
    maxiter : the budget of loss evaluations; "auto" is max(10_000, 1000 * n).
    criterion : a `ConvergenceCriterion` class or instance (default `EDM`).
    strategy : what to do on NaN: `PushbackStrategy` (default),
        `FailFastStrategy`, `ToyStrategy`, class or instance.
    name : a name for printing.
    **options : the algorithm's options, by its own names.
    """

    #: What `run` can take (bounds, constraints, derivatives).
    capabilities: ClassVar[Capabilities] = Capabilities()
    #: The option names `run` understands (`check_options` refuses others).
    option_names: ClassVar[tuple[str, ...]] = ()
    #: The `hessian=` settings `run` understands besides None (exact).
    hessian_choices: ClassVar[tuple[str, ...]] = ()
    #: The package the algorithm needs and the extra that installs it.
    requires: ClassVar[tuple[str, str] | None] = None

    def run(self, task: Task) -> Outcome:
        """Run the algorithm once on `task` and return an `Outcome`.

        Call `task.callback(x)` once per iteration and stop when it returns
        True; restart `task.restart` > 0 asks for stopping tolerances
        ``10**-restart`` times tighter."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement run(task) -> extopt.Outcome to be a minimizer."
        )

    def feasibility_tol(self) -> float:
        """How much a bound or constraint may be violated (relative to 1 + |bound|)
        at a valid answer: `extopt._verdict.FEASIBILITY_TOL`, or more where the
        user set the algorithm's own constraint tolerance looser."""
        from ._verdict import FEASIBILITY_TOL

        return FEASIBILITY_TOL

    def check_options(self, options: dict[str, Any]) -> None:
        """Refuse options `run` does not understand (override to check values too)."""
        from ._errors import did_you_mean

        for key in options:
            if key not in self.option_names:
                raise InputError(
                    f"{key!r} is not an option of {type(self).__name__}; it takes "
                    f"{sorted(self.option_names) or 'no options'}."
                    + did_you_mean(str(key), self.option_names)
                )

    _method: ClassVar[str | None] = None

    def __init__(
        self,
        tol: float | None = None,
        gradient: Any = None,
        hessian: Any = None,
        verbosity: int | None = None,
        maxiter: int | str = "auto",
        criterion: Any = None,
        strategy: Any = None,
        name: str | None = None,
        **options: Any,
    ):
        self._init(
            self._method,
            tol,
            gradient,
            hessian,
            verbosity,
            maxiter,
            criterion,
            strategy,
            name,
            options,
        )

    def _init(
        self, method, tol, gradient, hessian, verbosity, maxiter, criterion, strategy, name, options
    ) -> None:
        if not isinstance(self.capabilities, Capabilities):
            raise ExtoptError(
                f"{type(self).__name__}.capabilities must be an extopt.Capabilities; got "
                f"{describe(self.capabilities)}."
            )
        if self.requires is not None:
            require(*self.requires, type(self).__name__)
        self.tol = 1e-3 if tol is None else _check_tol(tol)
        self.gradient = gradient
        self.jac = _gradient_mode(gradient)
        if maxiter not in ("auto", None) and (
            isinstance(maxiter, bool) or not isinstance(maxiter, int) or maxiter < 1
        ):
            raise InputError(
                f"maxiter must be 'auto', None (no budget) or a positive integer (a "
                f"budget of loss evaluations); got {describe(maxiter)}."
            )
        self.maxiter = maxiter
        self.verbosity = check_verbosity(verbosity)
        self.criterion = _criterion(criterion, self.tol)
        self.strategy = None if strategy is False else get_strategy(strategy)
        if name is not None and not isinstance(name, str):
            raise InputError(f"name must be a string; got {describe(name)}.")
        self._configure(method, hessian, maxiter, options)
        self.name = name or self._default_name()

    def _configure(self, method: Any, hessian: Any, maxiter: Any, options: dict) -> None:
        """Check the algorithm-specific settings (an external algorithm's)."""
        caps = self.capabilities
        self.spec = None
        if not caps.gradient and self.jac is not None:
            raise MethodError(
                f"{type(self).__name__} uses no gradient, so gradient={self.gradient!r} would be "
                "ignored; drop it."
            )
        if self.jac == "cs":
            raise MethodError(
                f"complex-step differences ('cs') are SciPy's; {type(self).__name__} takes "
                "gradient=None (exact), True, '2-point' or '3-point'."
            )
        if hessian in (None, "auto"):
            hessian = None
        elif not caps.hessian:
            raise MethodError(
                f"{type(self).__name__} uses no Hessian, so hessian={describe(hessian)} would be "
                "ignored; drop it."
            )
        elif hessian not in self.hessian_choices:
            raise InputError(
                f"hessian for {type(self).__name__} must be None (exact) or one of "
                f"{list(self.hessian_choices)}; got {describe(hessian)}."
            )
        self.hess = hessian
        self.check_options(options)
        self.options = dict(options)

    def _default_name(self) -> str:
        return type(self).__name__

    def _jac_for(self, problem: Problem) -> Any:
        """The gradient a Task gives: None (exact) or a finite-difference scheme."""
        if not self.capabilities.gradient:
            return None
        if self.jac is not None:
            return self.jac
        if problem.jac in FD_SCHEMES:  # extopt.minimize(jac="2-point")
            if problem.jac == "cs":
                raise MethodError(
                    f"complex-step differences ('cs') are SciPy's; {self.name} takes "
                    "jac=None (exact), '2-point' or '3-point'."
                )
            return problem.jac
        if not problem.has_gradient:
            warn_finite_differences(problem, self.name)
            return "2-point"
        return None

    def _start_run(
        self, problem, steps, init, names, errordef, budget, loss_callback, strategy, scipy_tol=None
    ):
        """A run of `self.run` on `problem`, with one evaluator for all restarts."""
        caps = self.capabilities
        caps.refuse(problem, self.name)
        constrained = problem.constraints is not None
        jac = self._jac_for(problem)
        if caps.gradient and jac is None:
            fuse = "everything" if constrained else "value_and_grad"
        else:
            fuse = "value_constraints" if constrained else "value"
        ev = Evaluator(
            problem.functions,
            fuse,
            loss_callback,
            problem.packer.unpack,
            problem.x0,
            strategy=strategy,
            max_evals=budget,
            violation=problem.constraints.violation if problem.constraints is not None else None,
            eps=problem.eps,
            bounds=problem.bounds,
        )
        run = ExternalRun(self, problem, ev, jac=jac, steps=steps, init=init, names=names)
        run.errordef = errordef
        return run

    # -- what users call ----------------------------------------------------------
    def minimize(
        self,
        loss: Any,
        params: Any = None,
        init: FitResult | None = None,
        *,
        bounds: Any = None,
        equalities: Any = (),
        inequalities: Any = (),
    ) -> FitResult:
        """Minimize `loss` over `params`, starting from `init` where given.

        `loss` is a callable ``fun(params, *args)`` (its `errordef` attribute
        is used; 1.0 if absent), an `extopt.Loss`, or a `FitResult` to chain
        from (its loss, parameters and state). `params`: start values (an
        array or a tree), or a dict with `value`, `name`, `lower`, `upper`,
        `step_size`, or a list of such dicts. `init`: an earlier `FitResult`
        whose values (matched by name; it may cover only some parameters),
        step sizes, inverse-Hessian approximation and trust radius start this
        fit. `bounds`, `equalities`, `inequalities` as for `extopt.minimize`.
        """
        if isinstance(loss, FitResult):
            if init is not None:
                raise InputError("give a FitResult as loss or as init, not both.")
            init = loss
            loss = _live(init, "loss")
        if init is not None and not isinstance(init, FitResult):
            raise InputError(f"init must be a FitResult; got {describe(init)}.")
        loss = as_loss(loss)
        earlier = init.__dict__.get("_given", {}) if init is not None else {}
        if earlier and not (_given(equalities) or _given(inequalities)):
            # chaining keeps the earlier fit's constraints unless new ones are given
            equalities, inequalities = earlier["equalities"], earlier["inequalities"]
        if params is None and init is not None:
            params = _params_from(init)
        spec = parse_params(params)
        problem, names = self._problem(loss, spec, bounds, equalities, inequalities)
        if (
            init is not None
            and bounds is None
            and problem.bounds is None
            and getattr(init, "_problem", None) is not None
            and init._problem.bounds is not None
            and list(init.get("names") or []) == list(names)
        ):
            # ... and its bounds, for the same parameters
            problem = dataclasses.replace(problem, bounds=init._problem.bounds)
        steps = spec.step_size
        x0 = problem.x0
        if init is not None:
            x0, steps = _apply_init(init, names, x0, steps, problem)
        # a start taken from init is no start the user gave outside the bounds
        given = problem.x0_given if init is None else None
        problem = dataclasses.replace(problem, x0=x0, x0_given=given)
        result = self._fit(problem, loss.errordef, names, steps, loss, init)
        result._leaves = (
            problem.backend.flatten(spec.values)[0] if spec.given_as == "tree" else None
        )
        result._given = {"equalities": equalities, "inequalities": inequalities}
        return result

    def create_criterion(self, loss: Any = None, params: Any = None) -> ConvergenceCriterion:
        """A fresh convergence criterion of this minimizer, for `loss` and `params`."""
        criterion = (
            type(self.criterion)(tol=self.tol, loss=loss, params=params)
            if self.criterion is not None
            else EDM(tol=self.tol, loss=loss, params=params)
        )
        return criterion

    def create_evaluator(
        self,
        loss: Any = None,
        params: Any = None,
        numpy_converter: Callable | None = None,
        strategy: Any = None,
    ) -> LossEval:
        """The loss as the algorithm sees it: NumPy values, counts, the strategy
        on NaN, and this minimizer's evaluation budget."""
        if loss is None or params is None:
            raise InputError("create_evaluator needs the loss and the params.")
        loss = as_loss(loss)
        problem, _ = self._problem(loss, parse_params(params), None, (), ())
        strategy = self.strategy if strategy is None else get_strategy(strategy)
        ev = Evaluator(
            problem.functions,
            "value_and_grad",
            None,
            problem.packer.unpack,
            problem.x0,
            strategy=strategy,
            max_evals=self._budget(problem.n),
            eps=problem.eps,
            bounds=problem.bounds,
        )
        return LossEval(ev, numpy_converter, problem.backend)

    # -- how a fit runs -----------------------------------------------------------
    def _problem(self, loss, spec: ParamSpec, bounds, equalities, inequalities):
        if spec.lower is not None or spec.upper is not None:
            if bounds is not None:
                raise InputError(
                    "give the limits either in params ('lower', 'upper') or as bounds=, not both."
                )
            from scipy.optimize import Bounds

            n = len(spec.lower if spec.lower is not None else spec.upper)
            lower = [-np.inf if v is None else v for v in (spec.lower or [None] * n)]
            upper = [np.inf if v is None else v for v in (spec.upper or [None] * n)]
            bounds = Bounds(lower, upper)  # per flat element, whatever the tree
        problem = Problem.build(
            loss.fun,
            spec.values,
            args=loss.args,
            bounds=bounds,
            equalities=_both(loss.equalities, equalities, "equalities"),
            inequalities=_both(loss.inequalities, inequalities, "inequalities"),
            backend=loss.backend,
            jac=self.jac if self.jac is not None else loss.jac,
        )
        names = spec.names or element_names(problem.packer)
        if len(names) != problem.n:
            raise InputError(f"{len(names)} names for {problem.n} parameters.")
        return problem, names

    def _budget(self, n: int) -> int | None:
        return max(10_000, 1000 * n) if self.maxiter == "auto" else self.maxiter

    def _fit(
        self,
        problem: Problem,
        errordef: float,
        names: list[str],
        steps: Any,
        loss: Any,
        init: FitResult | None,
        *,
        callback: Callable | None = None,
        loss_callback: Callable | None = None,
        scipy_tol: float | None = None,
    ) -> FitResult:
        budget = self._budget(problem.n)
        strategy = self.strategy
        if strategy is not None:
            strategy.start()
        verbosity = self.verbosity
        with shown(verbosity):
            start = time.perf_counter()
            run = self._start_run(
                problem,
                steps,
                init,
                names,
                errordef,
                budget,
                _evaluation_log(verbosity, loss_callback),
                strategy,
                scipy_tol=scipy_tol,
            )
            if verbosity:
                logger.info(
                    "minimizing %s with %s (%s): %d parameters",
                    loss,
                    self.name,
                    run.method,
                    problem.n,
                )
            progress = Progress(verbosity, None, self.name)
            try:
                result, history = self._runs(
                    run, problem, errordef, names, _progress_callback(progress, callback)
                )
            except NaNError as exc:
                if strategy is None or not strategy.returns_invalid:
                    raise
                result, history = self._failed(run, problem, exc), []
            finally:
                progress.close()
            elapsed = time.perf_counter() - start
            self._complete(result, problem, errordef, names, loss, history, elapsed, run.ev)
            if verbosity:
                logger.info(
                    "%s: valid %s, converged %s, fmin %.10g, edm %s, %d evaluations in %.3g s%s",
                    self.name,
                    result.valid,
                    result.converged,
                    result.fmin,
                    "-" if result.edm is None else f"{result.edm:.3g}",
                    result.nfev,
                    elapsed,
                    "" if result.valid else f" ({result.message})",
                )
        return result

    def _runs(
        self, run, problem: Problem, errordef: float, names: list[str], callback: Callable | None
    ) -> tuple[FitResult, list]:
        """The first run and the restarts; the last result and the criterion's history.

        After each run the verdict decides: a run whose answer fails a
        condition that another run can mend (the EDM above its target, a NaN
        strategy that steered its last iterations, an infeasible or a
        non-finite answer) is restarted from its answer with tighter
        tolerances; at a saddle point or a maximum the fit first steps out
        along the direction of negative curvature."""
        from ._verdict import escape

        x = problem.x0
        ev = run.ev
        history: list[float] = []
        nit = 0
        result = None
        tighten = 0
        stuck = 0
        escapes = 0
        best = None
        for attempt in range(MAX_RESTARTS + 1):
            previous = result
            result = run.step(x, restart=tighten, previous=previous, callback=callback)
            nit += result.nit or 0
            result["errordef"] = errordef
            result._nan_in_run = ev.made_up_since(result.x_flat)
            if self.criterion is None or result.status == "maxiter" or result._stopped:
                break  # one run; the budget is spent; the user stopped it
            value = self._criterion_value(result)
            result._criterion = value
            history.append(value)
            if math.isnan(value):  # never loop on a criterion that is no number
                break
            verdict = self._judge(result, problem, errordef, names, value)
            result._verdict = verdict
            best = result if best is None or _better(result, best) else best
            mendable = set(verdict.reasons) - {"limits"}
            if not mendable or attempt == MAX_RESTARTS:
                break
            if "curvature" in mendable:
                if escapes == MAX_ESCAPES:
                    break
                try:
                    out = escape(result, ev, errordef)
                except EvaluationLimit:
                    break  # the budget is spent: the verdict says the rest
                if out is None:
                    break  # no way out found: invalid, and the verdict says why
                logger.debug("%s: leaving a saddle point", run.method)
                escapes += 1
                stuck = 0
                x = out
                continue
            # No progress: tighten twice as hard next time; twice in a row: give up.
            stuck = stuck + 1 if previous is not None and _stuck(previous, result) else 0
            if stuck == 2:
                break
            tighten += 2 if stuck else 1
            x = result.x_flat
            logger.debug("restart %d of %s: %s", attempt + 1, run.method, verdict.failed_text())
        if best is not None and best is not result and _better(best, result):
            # A restart that made it worse (a global method starts afresh): the
            # best run answers, with the whole fit's counts.
            best["counts"], best["nfev"], best["njev"], best["nhev"] = (
                result["counts"],
                result["nfev"],
                result["njev"],
                result["nhev"],
            )
            result = best
        result["nit"] = nit
        result._escapes = escapes
        return result, history

    def _criterion_value(self, result: FitResult) -> float:
        """The convergence criterion's value at a run's answer (NaN when it fails)."""
        criterion = self.criterion
        try:
            value = float(criterion.calculate(result))
        except np.linalg.LinAlgError:
            value = math.nan
        criterion.last_value = value
        return value

    def _judge(self, result, problem, errordef, names, value):
        from ._verdict import judge

        criterion = self.criterion
        return judge(
            result,
            target=self.tol * errordef,
            criterion_value=value,
            criterion_name="edm"
            if criterion is None or isinstance(criterion, EDM)
            else criterion.name,
            at_limit=_at_limit(result, problem.bounds, names),
            nan_in_run=bool(getattr(result, "_nan_in_run", False)),
            feasibility_tol=self.feasibility_tol(),
        )

    def _failed(self, run, problem: Problem, exc: NaNError) -> FitResult:
        """The invalid result of a fit the strategy gave up on (ToyStrategy)."""
        ev = run.ev
        ev.strategy, ev.max_evals = None, None
        x = ev.answer_x if ev.answer_x is not None else problem.x0
        return report(
            problem,
            ev,
            x,
            method=run.method,
            success=False,
            status="nan",
            message=str(exc),
            nit=None,
            elapsed=0.0,
            gradient=False,
        )

    def _complete(
        self,
        result: FitResult,
        problem: Problem,
        errordef: float,
        names: list[str],
        loss: Any,
        history: list,
        elapsed: float,
        ev: Evaluator,
    ) -> None:
        """The fit fields: fmin, edm, the verdict (valid, converged, reasons),
        params by name, ..."""
        x = result.x_flat
        result["errordef"] = errordef
        result["names"] = names if isinstance(names, ElementNames) else list(names)
        result["fmin"] = result.fun
        if self.criterion is None and getattr(self, "_verdict_on_read", False):
            # extopt.minimize: the verdict when first read (see FitResult._settle)
            def pending(r: FitResult) -> None:
                self._verdict_fields(r, problem, errordef, names, True)

            object.__setattr__(result, "_pending", pending)
        else:
            self._verdict_fields(result, problem, errordef, names, False)
        result["values"] = ValueView(result["names"], x)
        result["params"] = ParamTable(result["names"], x)
        result["niter"] = result.nit
        result["minimizer"] = self
        result["loss"] = loss
        result["execution_time"] = elapsed
        counts = ev.counts.as_dict()
        result["info"] = {
            "restarts": max(len(history) - 1, 0),
            "escapes": getattr(result, "_escapes", 0),
            "edm_history": history,
            "n_eval": ev.counts.nfev,
            "counts": counts,
            "nan_events": ev.nan_events,
        }

    def _verdict_fields(
        self, result: FitResult, problem: Problem, errordef: float, names: Any, later: bool
    ) -> None:
        """edm, min_curvature and the verdict (valid, converged, reasons).

        `later`: computed after the fit returned, when first read; the loss is
        evaluated again at the answer first, and a value that differs (the data
        behind `fun` changed since the fit, or `fun` is not deterministic) makes
        the result invalid ("reproducible") instead of judging another loss."""
        from ._verdict import Check, Verdict, edm, gather

        value = result.__dict__.get("_criterion")  # computed after the run, if it was
        verdict = result.__dict__.get("_verdict")  # ... and judged
        changed = _changed_since(result, problem) if later else None
        if value is None:
            value = edm(result) if self.criterion is None else self._criterion_value(result)
        if verdict is None:
            verdict = self._judge(result, problem, errordef, names, value)
        if later:
            text = "the loss at the answer is what the fit found" if changed is None else changed
            verdict = Verdict((*verdict.checks, Check("reproducible", changed is None, text)))
        curvature = gather(result).curvature
        set_field = dict.__setitem__
        set_field(result, "edm", value)
        set_field(result, "min_curvature", None if curvature is None else curvature.min_curvature)
        set_field(result, "verdict", verdict)
        set_field(result, "valid", verdict.valid)
        set_field(result, "converged", verdict.converged)
        set_field(result, "reasons", verdict.reasons)
        set_field(result, "params_at_limit", "limits" in verdict.reasons)
        if self.criterion is not None and not verdict.valid:
            # The algorithm's words first, then what extopt found.
            result["message"] = f"{result.message}; not valid: {verdict.failed_text()}"

    def __repr__(self) -> str:
        return f"<{self.name} tol={self.tol}>"


def _changed_since(result: FitResult, problem: Problem) -> str | None:
    """Why the loss at the answer is no longer the fit's (None if it is)."""
    import math

    x = result.x_flat
    try:
        with problem.backend.session():
            again = float(np.asarray(problem.functions.value(np.array(x))).reshape(()))
    except Exception as exc:
        return f"the loss could not be evaluated again at the answer: {type(exc).__name__}: {exc}"
    counts = result.get("counts")
    if isinstance(counts, dict):
        counts["verify_nfev"] = counts.get("verify_nfev", 0) + 1
    f = result.fun
    if (math.isnan(again) and math.isnan(f)) or again == f:
        return None
    if math.isfinite(again) and math.isfinite(f) and abs(again - f) <= 1e-10 * (1 + abs(f)):
        return None
    return (
        f"the loss at the answer is {again!r} now but was {f!r} in the fit: the data behind "
        "fun changed before the verdict was read (read result.valid before changing it), or "
        "fun is not deterministic"
    )


class _ScipyBase(BaseMinimizer):
    """What the SciPy minimizers share: the method's row of the capability table
    decides options, derivatives and restarts, and `ScipyMinimizer` runs it."""

    def _configure(self, method: Any, hessian: Any, maxiter: Any, options: dict) -> None:
        spec = get_method(method, constrained=False) if method is not None else None
        self.spec = spec
        self.hess = _hessian_choice(hessian)
        if spec is not None:
            for alias, scipy_name in spec.aliases:
                if alias in options:
                    options[scipy_name] = options.pop(alias)
            for key in ("maxiter", spec.maxiter) if maxiter is not None else ():
                if key in options:
                    raise InputError(
                        f"the option {key!r} is set by the minimizer's maxiter (a budget of loss "
                        "evaluations); pass maxiter= instead."
                    )
            check_options(spec, options)
            check_derivatives(spec, self.jac, self.hess)
        self.options = dict(options)

    def _default_name(self) -> str:
        spec = self.spec
        return type(self).__name__ if self._method else (f"Scipy({spec.name})" if spec else "Scipy")

    def _start_run(
        self, problem, steps, init, names, errordef, budget, loss_callback, strategy, scipy_tol=None
    ):
        spec = self.spec or get_method(None, problem.constraints is not None)
        options = dict(self.options)
        if self.criterion is not None and budget is not None:
            options.setdefault(spec.maxiter, budget)  # SciPy must not stop before the budget
        options.update(_start_options(spec, problem, steps, init, self.options))
        engine = ScipyMinimizer(
            (spec.custom or spec.name) if self.spec else None, options=options, hess=self.hess
        )
        engine.tol = scipy_tol
        run = engine.start(
            problem, loss_callback=loss_callback, strategy=strategy, max_evals=budget
        )
        return _ScipyRun(run, spec)


class _ScipyRun:
    """A SciPy run as a fit drives it: restarts tighten the method's own
    stopping tolerances (and continue its state where SciPy allows)."""

    def __init__(self, run: Any, spec: MethodSpec):
        self.run, self.spec, self.ev, self.method = run, spec, run.ev, spec.name

    def step(self, x0, *, restart: int = 0, previous: FitResult | None = None, callback=None):
        extra = _tighter(self.spec, self.run.options, restart, previous) if restart else {}
        return self.run.step(x0, options=extra, callback=callback)


# -- helpers of a fit --------------------------------------------------------------------


def _gradient_mode(gradient: Any) -> Any:
    """`gradient` (zfit's spelling) as `jac` (extopt's)."""
    if gradient is None or gradient is False or gradient == "auto" or gradient == "zfit":
        return None
    if gradient is True:
        return "2-point"  # SciPy's own default for a method without a gradient
    if isinstance(gradient, str) and gradient in FD_SCHEMES:
        return gradient
    raise InputError(
        f"gradient must be None, False or 'auto' (exact), True (the method's own default), or "
        f"one of {list(FD_SCHEMES)}; got {describe(gradient)}."
    )


def _hessian_choice(hessian: Any) -> Any:
    from scipy.optimize import BFGS, SR1

    if hessian is None or hessian == "auto" or hessian == "zfit":
        return None
    if isinstance(hessian, str):
        named = {"bfgs": BFGS, "sr1": SR1}
        if hessian.lower() in named:
            return named[hessian.lower()]
        if hessian in FD_SCHEMES:
            return hessian
        raise InputError(
            f"hessian must be None or 'auto' (exact), 'bfgs', 'sr1', one of {list(FD_SCHEMES)}, "
            f"a scipy.optimize.HessianUpdateStrategy or a callable; got {hessian!r}."
        )
    from ._scipy import _check_hess_type

    _check_hess_type(hessian)
    return hessian


def _criterion(criterion: Any, tol: float) -> ConvergenceCriterion | None:
    if criterion is False:
        return None
    if criterion is None:
        return EDM(tol)
    if isinstance(criterion, type) and issubclass(criterion, ConvergenceCriterion):
        return criterion(tol)
    if isinstance(criterion, ConvergenceCriterion):
        return criterion
    raise InputError(
        f"criterion must be None (EDM), a ConvergenceCriterion class or instance; "
        f"got {describe(criterion)}."
    )


def _both(first: Any, second: Any, what: str) -> tuple:
    from ._constraints import normalize_functions

    return normalize_functions(first, what) + normalize_functions(second, what)


def _live(result: FitResult, key: str) -> Any:
    value = result.get(key)
    if value is None or isinstance(value, str):
        raise InputError(
            f"this FitResult has no live {key} (it was pickled or frozen): pass the "
            f"{key} explicitly."
        )
    return value


def _params_from(result: FitResult) -> ParamSpec:
    """Parameters that continue `result`: its structure, names and limits (the
    values themselves come from init, exactly, by name)."""
    problem = getattr(result, "_problem", None)
    spec = ParamSpec(result["x"], list(result["names"]))
    if problem is not None and problem.bounds is not None:
        lower, upper = problem.bounds
        spec.lower = [None if np.isneginf(v) else float(v) for v in lower]
        spec.upper = [None if np.isposinf(v) else float(v) for v in upper]
    return spec


def _apply_init(init: FitResult, names: list[str], x0: np.ndarray, steps: Any, problem: Problem):
    """Start values and step sizes taken from `init`, by parameter name."""
    known = dict(zip(init.get("names") or [], np.asarray(init.x_flat).tolist(), strict=False))
    if not any(name in known for name in names):
        raise InputError(
            f"init shares no parameter name with this fit: init has "
            f"{_few(list(known))}, the fit {_few(list(names))}. Give the parameters the "
            "names of init's (params with 'name'), or leave init out."
        )
    errors = _errors_of(init)
    x0 = x0.copy()
    step_out = None if steps is None else np.array(steps, dtype=np.float64)
    for i, name in enumerate(names):
        if name in known:
            x0[i] = known[name]
            if name in errors:
                if step_out is None:
                    step_out = np.full(len(names), np.nan)
                step_out[i] = errors[name]
    if problem.bounds is not None:
        x0 = np.clip(x0, *problem.bounds)
    return x0, step_out


def _few(names: list[str], limit: int = 6) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return f"[{shown}{', ...' if len(names) > limit else ''}]"


def _given(value: Any) -> bool:
    """Whether optional constraints were given (not None, not empty)."""
    return value is not None and not (isinstance(value, tuple | list) and not value)


def _errors_of(result: FitResult) -> dict[str, float]:
    """Step sizes from a result: its hesse errors, else its approximate covariance."""
    out = {}
    for name, entry in (result.get("params") or {}).items():
        err = (entry.get("hesse") or {}).get("error")
        if err is not None and np.isfinite(err) and err > 0:
            out[name] = float(err)
    if not out and result.get("hess_inv") is not None and result.get("names"):
        inv = result["hess_inv"]
        inv = inv.todense() if hasattr(inv, "todense") else np.asarray(inv)
        diag = np.diag(np.asarray(inv)) * 2 * (result.get("errordef") or 1.0)
        out = {n: float(np.sqrt(d)) for n, d in zip(result["names"], diag, strict=True) if d > 0}
    return out


def _start_options(
    spec: MethodSpec, problem: Problem, steps: Any, init: FitResult | None, user: dict
) -> dict:
    """Options that start a method where `steps` and `init` say (never the user's)."""
    out: dict[str, Any] = {}
    x0 = problem.x0
    n = x0.size
    if steps is not None:
        steps = np.where(np.isfinite(steps), steps, np.maximum(0.05 * np.abs(x0), 1e-2))
        scale = float(np.mean(steps))
        by_method = {
            "nelder-mead": ("initial_simplex", lambda: np.vstack([x0, x0 + np.diag(steps)])),
            "powell": ("direc", lambda: np.diag(steps)),
            "cobyla": ("rhobeg", lambda: scale),
            "cobyqa": ("initial_tr_radius", lambda: scale),
            "trust-constr": ("initial_tr_radius", lambda: float(np.linalg.norm(steps))),
            "trust-ncg": ("initial_trust_radius", lambda: float(np.linalg.norm(steps))),
            "trust-krylov": ("initial_trust_radius", lambda: float(np.linalg.norm(steps))),
            "trust-exact": ("initial_trust_radius", lambda: float(np.linalg.norm(steps))),
            "dogleg": ("initial_trust_radius", lambda: float(np.linalg.norm(steps))),
        }
        if spec.key in by_method:
            name, make = by_method[spec.key]
            if name not in user:
                out[name] = make()
    if init is not None:
        if spec.key == "bfgs" and "hess_inv0" not in user:
            inv = _matching_inverse_hessian(init, n)
            if inv is not None:
                out["hess_inv0"] = inv
        if spec.key == "trust-constr" and init.get("tr_radius") and "initial_tr_radius" not in user:
            out["initial_tr_radius"] = float(init["tr_radius"])
    return out


def _matching_inverse_hessian(init: FitResult, n: int) -> np.ndarray | None:
    """init's dense inverse-Hessian approximation, made symmetric positive definite."""
    inv = init.get("hess_inv")
    if inv is None:
        return None
    inv = inv.todense() if hasattr(inv, "todense") else np.asarray(inv, dtype=np.float64)
    inv = np.asarray(inv, dtype=np.float64)
    if inv.shape != (n, n) or not np.all(np.isfinite(inv)):
        return None
    inv = 0.5 * (inv + inv.T)
    values, vectors = np.linalg.eigh(inv)
    floor = 1e-8 * max(float(np.max(np.abs(values))), 1e-300)
    values = np.maximum(values, floor)  # BFGS needs a positive definite start
    inv = (vectors * values) @ vectors.T
    inv = 0.5 * (inv + inv.T)
    try:
        np.linalg.cholesky(inv)  # SciPy's own test
    except np.linalg.LinAlgError:
        return None
    return inv


def _tighter(spec: MethodSpec, options: dict, k: int, result: FitResult) -> dict:
    """The method's stopping tolerances 10**-k of what they were, for restart k."""
    out: dict[str, Any] = {}
    for name, default in spec.tolerances:
        base = options.get(name, default)
        if isinstance(base, int | float) and base > 0:
            out[name] = base * 10.0 ** (-k)
    if spec.key == "nelder-mead" and "final_simplex" in (result.get("scipy_result") or {}):
        out["initial_simplex"] = np.asarray(result["scipy_result"]["final_simplex"][0])
    if spec.key == "bfgs" and result.get("hess_inv") is not None:
        inv = _matching_inverse_hessian(result, result.x_flat.size)
        if inv is not None:
            out["hess_inv0"] = inv
    if spec.key == "trust-constr":  # continue the barrier where it stopped, not at 0.1
        for ours, theirs in (
            ("initial_barrier_parameter", "barrier_parameter"),
            ("initial_barrier_tolerance", "barrier_tolerance"),
            ("initial_tr_radius", "tr_radius"),
        ):
            value = result.get(theirs)
            if value and value > 0 and ours not in options:
                out[ours] = float(value) * (0.1 if ours != "initial_tr_radius" else 1.0)
    return out


def _rank(result: FitResult) -> tuple:
    verdict = result.__dict__.get("_verdict")
    valid = verdict is not None and verdict.valid
    feasible = verdict is None or "feasible" not in verdict.reasons
    fun = result.fun if math.isfinite(result.fun) else math.inf
    return (not valid, not feasible, fun)


def _better(a: FitResult, b: FitResult) -> bool:
    """Whether run result `a` is a better answer than `b`: valid first, then
    feasible, then the lower loss."""
    return _rank(a) < _rank(b)


def _stuck(previous: FitResult, current: FitResult) -> bool:
    """No progress from one run to the next."""
    df = previous.fun - current.fun
    dx = np.max(np.abs(previous.x_flat - current.x_flat)) if current.x_flat.size else 0.0
    return df <= 1e-14 * (1.0 + abs(previous.fun)) and dx <= 1e-14 * (
        1.0 + float(np.max(np.abs(current.x_flat)))
    )


def _at_limit(result: FitResult, bounds: Any, names: list[str]) -> list[str]:
    """The names of the parameters at a limit (or, where the bound pushes, a
    little inside it: an interior point), not those fixed by equal limits."""
    if bounds is None:
        return []
    from ._constraints import _active_bounds

    lower, upper = bounds
    lo, up = _active_bounds(result.x_flat, bounds, result.__dict__.get("_bound_mult"))
    hits = sorted(set(lo.tolist()) | set(up.tolist()))
    return [names[i] for i in hits if lower[i] != upper[i]]


def _progress_callback(progress: Progress, callback: Callable | None) -> Callable | None:
    if progress.verbosity < 6:
        return callback

    def step(info: Evaluation):
        progress.step(info.nit or 0, info.fun, info.nfev)
        if callback is not None:
            return callback(info)
        return None

    return step


def _evaluation_log(verbosity: int, loss_callback: Callable | None) -> Callable | None:
    if verbosity < 10:
        return loss_callback

    def every(info: Evaluation):
        logger.info("evaluation %d: loss %.12g", info.nfev, info.fun)
        if loss_callback is not None:
            loss_callback(info)

    return every


# -- the classes, one per SciPy method ----------------------------------------------------


class Scipy(_ScipyBase):
    """Any `scipy.optimize.minimize` method: ``Scipy("L-BFGS-B", tol=...)``."""

    @classmethod
    def like_scipy(
        cls, method: str | None, hessian: Any = None, options: dict | None = None
    ) -> Scipy:
        """SciPy's own behaviour: no criterion of extopt's (one run, SciPy's
        stopping rule), no NaN strategy, no evaluation budget, and `options`
        exactly as `scipy.optimize.minimize` takes them (``maxiter`` included).
        What `extopt.minimize` and the ScipyOptimizerInterface use."""
        from ._scipy import _check_hess_type

        _check_hess_type(hessian)  # SciPy's spellings, and errors that name `hess`
        self = cls.__new__(cls)
        self._init(method, None, None, hessian, None, None, False, False, None, dict(options or {}))
        return self

    def __init__(self, method: str | None = None, *args: Any, **kwargs: Any):
        self._method = method  # this instance's method; the other arguments as BaseMinimizer's
        super().__init__(*args, **kwargs)


def _make_class(class_name: str, method: str, doc: str) -> type:
    spec = METHODS[method.lower()]
    options = ", ".join(sorted(spec.options - {"maxiter", spec.maxiter}))
    uses = "It uses a Hessian (`hessian=`)." if spec.hess != "none" else ("It uses no Hessian.")
    cls = type(
        class_name,
        (_ScipyBase,),
        {
            "_method": spec.name,
            "__doc__": f"{doc}\n\n    SciPy's {spec.name}. {uses} Its options: {options}.\n\n"
            + BaseMinimizer.__doc__.split("\n", 2)[2],
            "__module__": "extopt",
        },
    )
    return cls


_CLASSES = {
    "ScipyLBFGSB": ("L-BFGS-B", "Limited-memory BFGS with bounds."),
    "ScipyBFGS": ("BFGS", "Quasi-Newton BFGS (no bounds)."),
    "ScipyCG": ("CG", "Nonlinear conjugate gradients."),
    "ScipySLSQP": ("SLSQP", "Sequential least squares programming: bounds and constraints."),
    "ScipyTrustConstr": (
        "trust-constr",
        "Trust-region interior point / SQP: bounds and constraints, exact Lagrangian Hessians.",
    ),
    "ScipyNewtonCG": ("Newton-CG", "Newton conjugate gradients with exact Hessian products."),
    "ScipyTruncNC": ("TNC", "Truncated Newton with bounds."),
    "ScipyTrustNCG": ("trust-ncg", "Newton conjugate-gradient trust region."),
    "ScipyTrustKrylov": ("trust-krylov", "Nearly exact trust region with Krylov subspaces."),
    "ScipyTrustExact": ("trust-exact", "Nearly exact trust region with the dense Hessian."),
    "ScipyDogleg": ("dogleg", "Dog-leg trust region (positive definite Hessians)."),
    "ScipyPowell": ("Powell", "Powell's conjugate directions, derivative-free."),
    "ScipyNelderMead": ("Nelder-Mead", "The Nelder-Mead simplex, derivative-free."),
    "ScipyCOBYLA": ("COBYLA", "Linear approximations with constraints, derivative-free."),
    "ScipyCOBYQA": ("COBYQA", "Quadratic approximations with constraints, derivative-free."),
}
MINIMIZERS: dict[str, type] = {
    name: _make_class(name, method, doc) for name, (method, doc) in _CLASSES.items()
}
#: zfit's names for the same minimizers.
ALIASES = {f"{name}V1": cls for name, cls in MINIMIZERS.items()}

assert sorted(spec.name for spec in METHODS.values()) == sorted(
    method for method, _ in _CLASSES.values()
), "a method without a minimizer class"
assert set(method_names()) == {m for m, _ in _CLASSES.values()}
__all__ = [
    "EDM",
    "BaseMinimizer",
    "ConvergenceCriterion",
    "LossEval",
    "Scipy",
    "Strategy",
    "MethodError",
    *MINIMIZERS,
    *ALIASES,
]
