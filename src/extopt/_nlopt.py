"""NLopt (`nlopt`) as extopt minimizers, through the public extension point.

`NLopt(algorithm)` runs any NLopt algorithm in `ALGORITHMS`, the one table of
what each takes (bounds, equality and inequality constraints, the gradient, a
local optimizer, a seed, ...); the named classes (`NLoptLBFGS`, `NLoptSLSQP`,
...) run one algorithm each. extopt hands NLopt:

- the bounds as NLopt's bounds (the global algorithms need them finite:
  they search the whole box, and most of them ignore x0);
- the constraint rows ``lower <= c(x) <= upper`` as two vector constraints
  with the exact Jacobian rows: equalities ``c - lower = 0`` and one
  inequality row ``fc <= 0`` per finite side, ``lower - c`` and ``c - upper``.
  Both are answered from one evaluation per point (extopt caches it), with
  the tolerance `constraint_tol` per row (default 1e-8);
- stopping: for the local gradient-based algorithms ``ftol_rel = xtol_rel =
  1e-10`` (NLopt has no stopping rule of its own; this is the tight rule of
  NLopt called by hand, and a wrapper must not stop sooner); for the
  derivative-free and the global ones
  ``ftol_abs = 0.1 * tol * errordef`` (the EDM, extopt's criterion, is about
  the loss above its minimum, and its target is ``tol * errordef``) and
  ``xtol_rel = 1e-10``, unless given as options; a restart k (the EDM target
  was not met) divides every tolerance by ``10**k``. `maxeval` is per
  run; the minimizer's `maxiter` budget over the whole fit is kept by extopt
  (NLopt's maxeval is at most one more than the budget left, so the budget
  ends a run first, as status "maxiter");
- `initial_step` (used by the derivative-free algorithms) from the option,
  else the parameters' step sizes, within a quarter of each finite box side
  (larger ones make BOBYQA refuse to start).

NLopt has no iteration callback: the user's callback sees every evaluated
point that is a new best one (the lowest loss among the points feasible to
within `constraint_tol`, or, before any is feasible, the least infeasible),
and returning True makes NLopt stop (``opt.force_stop()``).

Results: NLopt's result code is the `status` (its name, e.g. "FTOL_REACHED"),
explained in `message`. SUCCESS, STOPVAL_REACHED, FTOL_REACHED and
XTOL_REACHED are a success; MAXEVAL_REACHED and MAXTIME_REACHED are not
(except for the algorithms that stop on nothing else, flag "n" below), nor
are ROUNDOFF_LIMITED, FAILURE, INVALID_ARGS, OUT_OF_MEMORY and FORCED_STOP.
`nit` is NLopt's count of objective evaluations. NLopt reports no
multipliers: extopt estimates them at the answer.

What NLopt's Python binding (2.11) does with exceptions, and how it is
handled: an exception raised in a callback makes most algorithms stop at
once, and `optimize` raises it again; but Luksan's (L-BFGS, VAR, TNEWTON)
go on calling the objective, some twenty times, with the Python error still
set, and end with FAILURE, which the binding raises as its own
`nlopt.runtime_error` (an `nlopt.exception`, no RuntimeError), or, with
NLopt's exceptions turned off, as SystemError. So no exception ever reaches
NLopt: the first one is kept, NLopt is told ``force_stop()`` (after which
every algorithm ends with FORCED_STOP within a call or so), every later call
returns at once, and the exception is raised again when `optimize`
returns. NLopt's exceptions for its result codes are turned off where the
binding can (``set_exceptions_enabled``, which returns the best point with
every code); with an older binding they are caught and the best point seen
is the answer.
Luksan's algorithms also check maxeval between iterations only: a run may
take a few evaluations more than maxeval.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ._errors import InputError, describe, did_you_mean
from ._external import Capabilities, Outcome, Task
from ._methods import mark
from ._minimizers import BaseMinimizer

#: The flags of `ALGORITHMS`:
#: d the gradient; b bounds; e equality constraints; i inequality constraints;
#: I inequality constraints when the local optimizer takes them (they are
#: passed on to it); g global (every bound finite; x0 may be ignored);
#: L a local optimizer (`local=`, a default one when not given); l a local
#: optimizer if given (NLopt's default otherwise); s random numbers (`seed=`);
#: p a population (`population=`); m a limited memory (`vector_storage=`);
#: n stops on nothing but `maxeval` / `maxtime` (default maxeval 1000 * n).
FLAGS = "dbeiIgLlspmn"

#: Every NLopt algorithm extopt runs: its flags and what it is.
ALGORITHMS: dict[str, tuple[str, str]] = {
    "LD_LBFGS": ("dbm", "low-storage BFGS (Luksan)"),
    "LD_VAR1": ("dbm", "shifted limited-memory variable metric, rank 1 (Luksan)"),
    "LD_VAR2": ("dbm", "shifted limited-memory variable metric, rank 2 (Luksan)"),
    "LD_TNEWTON": ("dbm", "truncated Newton (Luksan)"),
    "LD_TNEWTON_RESTART": ("dbm", "truncated Newton with steepest-descent restarts"),
    "LD_TNEWTON_PRECOND": ("dbm", "preconditioned truncated Newton"),
    "LD_TNEWTON_PRECOND_RESTART": (
        "dbm",
        "preconditioned truncated Newton with steepest-descent restarts",
    ),
    "LD_SLSQP": ("dbei", "sequential least-squares quadratic programming (Kraft)"),
    "LD_MMA": ("dbi", "the method of moving asymptotes (Svanberg)"),
    "LD_CCSAQ": ("dbi", "conservative convex separable quadratic approximations (Svanberg)"),
    "LN_COBYLA": ("bei", "constrained optimization by linear approximations (Powell)"),
    "LN_BOBYQA": ("b", "bound-constrained quadratic approximations (Powell)"),
    "LN_NEWUOA": ("", "unconstrained quadratic approximations (Powell)"),
    "LN_NEWUOA_BOUND": ("b", "NEWUOA with bounds (Powell)"),
    "LN_PRAXIS": ("bs", "principal-axis method (Brent)"),
    "LN_NELDERMEAD": ("b", "the Nelder-Mead simplex"),
    "LN_SBPLX": ("b", "Subplex, Nelder-Mead on subspaces (Rowan)"),
    "LD_AUGLAG": ("dbeiL", "augmented Lagrangian around a gradient-based local optimizer"),
    "LN_AUGLAG": ("beiL", "augmented Lagrangian around a derivative-free local optimizer"),
    "LD_AUGLAG_EQ": (
        "dbeIL",
        "augmented Lagrangian for the equalities around a gradient-based local optimizer",
    ),
    "LN_AUGLAG_EQ": (
        "beIL",
        "augmented Lagrangian for the equalities around a derivative-free local optimizer",
    ),
    "GN_DIRECT": ("bgn", "DIviding RECTangles (Jones)"),
    "GN_DIRECT_L": ("bgn", "DIRECT, locally biased (Gablonsky)"),
    "GN_DIRECT_L_RAND": ("bgsn", "DIRECT-L, randomized"),
    "GN_DIRECT_NOSCAL": ("bgn", "DIRECT without rescaling the box"),
    "GN_DIRECT_L_NOSCAL": ("bgn", "DIRECT-L without rescaling the box"),
    "GN_DIRECT_L_RAND_NOSCAL": ("bgsn", "randomized DIRECT-L without rescaling the box"),
    "GN_ORIG_DIRECT": ("bgin", "DIRECT, Gablonsky's original code"),
    "GN_ORIG_DIRECT_L": ("bgin", "DIRECT-L, Gablonsky's original code"),
    "GN_CRS2_LM": ("bgsp", "controlled random search with local mutation"),
    "GN_ISRES": ("bgeisp", "improved stochastic ranking evolution strategy"),
    "GN_ESCH": ("bgspn", "an evolutionary algorithm (da Silva Santos)"),
    "GN_MLSL": ("bglspn", "multi-level single-linkage, random start points"),
    "GN_MLSL_LDS": ("bglspn", "multi-level single-linkage, low-discrepancy start points"),
    "GD_MLSL": ("dbglspn", "multi-level single-linkage with gradients, random starts"),
    "GD_MLSL_LDS": ("dbglspn", "multi-level single-linkage with gradients, low-discrepancy"),
}
#: Names that pick their LD_ / LN_ variant by the local optimizer.
BY_LOCAL = {"AUGLAG": "AUGLAG", "AUGLAG_EQ": "AUGLAG_EQ"}
#: The local optimizer of an algorithm flagged L when none is given.
DEFAULT_LOCAL = {
    "LD_AUGLAG": "LD_LBFGS",
    "LD_AUGLAG_EQ": "LD_SLSQP",
    "LN_AUGLAG": "LN_COBYLA",
    "LN_AUGLAG_EQ": "LN_COBYLA",
}

#: xtol_rel unless given, and ftol_rel for the local algorithms unless a ftol is given.
XTOL_REL = 1e-10
FTOL_REL = 1e-10
#: constraint_tol unless given.
CONSTRAINT_TOL = 1e-8
#: maxeval per parameter of the algorithms that stop on nothing else (flag n).
MAXEVAL_PER_PARAMETER = 1000
#: With extopt's budget binding, NLopt's maxeval is this many times the budget.
BUDGET_GUARD = 10
_INT32_MAX = 2**31 - 1

#: NLopt's result codes by name: whether it is a success, and in words.
RESULTS = {
    "SUCCESS": (True, "NLopt reports success"),
    "STOPVAL_REACHED": (True, "the loss reached stopval"),
    "FTOL_REACHED": (True, "the loss changed by less than ftol_abs / ftol_rel in a step"),
    "XTOL_REACHED": (True, "the parameters changed by less than xtol_rel / xtol_abs in a step"),
    "MAXEVAL_REACHED": (False, "maxeval ({maxeval}) evaluations were spent"),
    "MAXTIME_REACHED": (False, "maxtime ({maxtime} s) ran out"),
    "FAILURE": (False, "NLopt failed"),
    "INVALID_ARGS": (False, "NLopt refused its arguments"),
    "OUT_OF_MEMORY": (False, "NLopt ran out of memory"),
    "ROUNDOFF_LIMITED": (
        False,
        "roundoff errors limited progress: the answer is NLopt's best point, but it is less "
        "precise than the tolerances asked",
    ),
    "FORCED_STOP": (False, "NLopt was forced to stop"),
}

_TOLERANCES = ("ftol_rel", "ftol_abs", "xtol_rel", "xtol_abs")


@dataclass(frozen=True)
class _Local:
    """The local optimizer of AUGLAG or MLSL: its algorithm and its options."""

    algorithm: str
    options: dict[str, Any]


class NLopt(BaseMinimizer):
    """Any NLopt algorithm of `ALGORITHMS`: ``NLopt("LD_SLSQP", tol=...)``.

    Parameters
    ----------
    algorithm : NLopt's name for it, case-insensitive ("LD_SLSQP",
        "ln_cobyla", ...); "AUGLAG" and "AUGLAG_EQ" are LD_ or LN_ by their
        local optimizer.
    tol, gradient, verbosity, maxiter, criterion, strategy, name : as for
        every extopt minimizer (`gradient` only for the algorithms that use
        one; `hessian` None: no NLopt algorithm uses one).
    **options : NLopt's settings by their names: ftol_rel, ftol_abs,
        xtol_rel, xtol_abs (tolerances >= 0; 0 turns one off; xtol_abs may be
        per parameter), maxeval (per run), maxtime (seconds per run), stopval,
        initial_step (a positive number or one per parameter), constraint_tol
        (>= 0), and where the algorithm uses them: population, vector_storage,
        seed (for NLopt's random numbers; reset to the clock afterwards) and
        local (the local optimizer: an algorithm name, an `NLopt` class, or
        an `NLopt` instance whose options it runs with).
    """

    capabilities: ClassVar[Capabilities] = Capabilities()
    option_names: ClassVar[tuple[str, ...]] = (
        "ftol_rel",
        "ftol_abs",
        "xtol_rel",
        "xtol_abs",
        "maxeval",
        "maxtime",
        "stopval",
        "initial_step",
        "population",
        "vector_storage",
        "constraint_tol",
        "seed",
        "local",
    )
    requires: ClassVar[tuple[str, str] | None] = ("nlopt", "nlopt")
    #: The algorithm of a named subclass ("" for the generic class).
    _algorithm: ClassVar[str] = ""

    def __init__(
        self,
        algorithm: str,
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
        self.algorithm, self.local = _resolve(algorithm, options.get("local"))
        # What this instance takes depends on its algorithm and local optimizer.
        self.capabilities = capabilities_of(  # type: ignore[misc]
            self.algorithm, self.local.algorithm if self.local is not None else None
        )
        if name is None and type(self) is NLopt:
            name = f"NLopt({self.algorithm})"
        super().__init__(
            tol, gradient, hessian, verbosity, maxiter, criterion, strategy, name, **options
        )

    def feasibility_tol(self) -> float:
        """extopt's, or the `constraint_tol` given if it is looser."""
        given = self.options.get("constraint_tol")
        return max(super().feasibility_tol(), float(given) if given is not None else 0.0)

    def check_options(self, options: dict[str, Any]) -> None:
        """Refuse unknown options, values NLopt cannot take, and settings this
        algorithm would ignore."""
        super().check_options(options)
        who = f"NLopt({self.algorithm})" if type(self) is NLopt else type(self).__name__
        _check_values(options, who)
        flags = _flags(self.algorithm)
        local_flags = _flags(self.local.algorithm) if self.local is not None else ""
        for option, flag, uses in (
            ("population", "p", "population-based algorithms (GN_CRS2_LM, GN_ISRES, ...)"),
            ("vector_storage", "m", "limited-memory ones (LD_LBFGS, LD_VAR*, LD_TNEWTON*)"),
        ):
            if option in options and flag not in flags:
                raise InputError(
                    f"{self.algorithm} uses no {option}, so {option}={options[option]!r} would "
                    f"be ignored; only the {uses} do."
                )
        if "seed" in options and "s" not in flags + local_flags:
            raise InputError(
                f"{self.algorithm} uses no random numbers, so seed={options['seed']!r} would be "
                f"ignored; the stochastic ones are {_having('s')}."
            )

    def run(self, task: Task) -> Outcome:
        """Run the algorithm once on `task` (see the module's description)."""
        import nlopt

        algorithm, options = self.algorithm, self.options
        flags = _flags(algorithm)
        opt = nlopt.opt(getattr(nlopt, algorithm), task.n)
        quiet = hasattr(opt, "set_exceptions_enabled")
        if quiet:
            opt.set_exceptions_enabled(False)  # result codes, not exceptions
        ctol = float(options.get("constraint_tol", CONSTRAINT_TOL))
        calls = _Callbacks(task, opt, ctol)
        opt.set_min_objective(calls.objective)
        if task.bounded:
            opt.set_lower_bounds(task.lower)
            opt.set_upper_bounds(task.upper)
        if calls.equalities_size:
            opt.add_equality_mconstraint(calls.equalities, np.full(calls.equalities_size, ctol))
        if calls.inequalities_size:
            opt.add_inequality_mconstraint(
                calls.inequalities, np.full(calls.inequalities_size, ctol)
            )
        _settings(opt, options, task, flags)
        maxeval, budget_bound = _maxeval(options, task, flags)
        if maxeval:
            opt.set_maxeval(maxeval)
        for option, setter in (("maxtime", opt.set_maxtime), ("stopval", opt.set_stopval)):
            if option in options:
                setter(float(options[option]))
        if self.local is not None:
            local = nlopt.opt(getattr(nlopt, self.local.algorithm), task.n)
            tolerances = {k: v for k, v in options.items() if k in _TOLERANCES}
            _settings(
                local, {**tolerances, **self.local.options}, task, _flags(self.local.algorithm)
            )
            opt.set_local_optimizer(local)  # NLopt copies it: set up first
        seed = options.get("seed")
        if seed is not None:
            nlopt.srand(int(seed))
        try:
            x, code = _optimize(opt, task.x0, calls, quiet, nlopt)
        finally:
            if seed is not None:
                nlopt.srand_time()  # NLopt's default again for later runs
        if calls.error is not None:
            raise calls.error  # what the functions (or the callback) raised
        fields = {"nlopt_algorithm": algorithm, "nlopt_result": int(code)}
        if calls.nan is not None:
            what, where = calls.nan
            best = calls.best_x if calls.best_x is not None else task.x0
            return Outcome(
                np.array(best, dtype=np.float64),
                success=False,
                status="nan",
                message=(
                    f"{algorithm}: {what} is NaN at x = {np.array2string(where, threshold=8)}; "
                    "NLopt cannot go on from a NaN, so the run ended at the best point seen "
                    "(a NaN strategy, as extopt's minimizer objects have by default, steps "
                    "back from NaNs instead)"
                ),
                nit=int(opt.get_numevals()),
                fields=fields,
            )
        status = _code_name(code, nlopt)
        success, words = RESULTS.get(status, (False, f"NLopt's result code {code}"))
        if status == "MAXEVAL_REACHED" and "n" in flags and not budget_bound:
            success, words = True, "ran its maxeval ({maxeval}) evaluations, its stopping rule"
        message = f"{algorithm}: " + words.format(maxeval=maxeval, maxtime=options.get("maxtime"))
        errmsg = opt.get_errmsg() if hasattr(opt, "get_errmsg") else None
        if errmsg:
            message += f" ({errmsg})"
        return Outcome(
            np.array(x, dtype=np.float64),
            success=success,
            message=message,
            status=status,
            nit=int(opt.get_numevals()),
            fields=fields,
        )


class _Callbacks:
    """What NLopt calls: the objective and the two vector constraints.

    No exception reaches NLopt (see the module's description): the first is
    kept in `error`, NLopt is told to stop, and every later call returns at
    once. The objective tracks the best point and runs the user's callback
    there."""

    def __init__(self, task: Task, opt: Any, ctol: float):
        self.task, self.opt, self.ctol = task, opt, ctol
        self.error: BaseException | None = None
        #: What was NaN first, and where (the run ends there).
        self.nan: tuple[str, np.ndarray] | None = None
        self.best: tuple[float, float] = (math.inf, math.inf)
        self.best_x: np.ndarray | None = None
        lower, upper = task.constraint_lower, task.constraint_upper
        rows = task.inequality_rows
        self.eq = task.equality_rows
        self.lo = rows[np.isfinite(lower[rows])]
        self.up = rows[np.isfinite(upper[rows])]
        self.equalities_size = self.eq.size
        self.inequalities_size = self.lo.size + self.up.size

    def _stopped(self) -> bool:
        return self.error is not None or self.nan is not None or bool(self.opt.get_force_stop())

    def _fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
        self.opt.force_stop()

    def _poisoned(self, x: np.ndarray, what: str, value: Any) -> bool:
        """True (and NLopt told to stop) when `value` holds a NaN: NLopt's
        comparisons go wrong on one (some algorithms never return, others
        report success at a NaN point). A NaN strategy (the minimizer objects'
        default) has replaced NaNs before this; without one the run ends here."""
        if not np.isnan(np.sum(value)):
            return False
        if self.nan is None:
            self.nan = (what, np.array(x, dtype=np.float64))
        self.opt.force_stop()
        return True

    def objective(self, x: np.ndarray, grad: np.ndarray) -> float:
        if self._stopped():
            return math.inf
        task = self.task
        try:
            if grad.size:
                f, g = task.fun_and_grad(x)
                if self._poisoned(x, "the gradient", g):
                    return math.inf
                grad[:] = g
            else:
                f = task.fun(x)
            f = float(f)
            if self._poisoned(x, "the loss", f):
                return math.inf
            excess = 0.0
            if task.m:
                c = task.constraints(x)  # from the cache: evaluated with the loss
                if self._poisoned(x, "the constraints", c):
                    return math.inf
                lower, upper = task.constraint_lower, task.constraint_upper
                violation = np.max(np.maximum(np.maximum(lower - c, c - upper), 0.0))
                excess = max(float(violation) - self.ctol, 0.0)
            if (excess, f) < self.best:
                self.best, self.best_x = (excess, f), np.array(x, dtype=np.float64)
                if task.callback(x):
                    self.opt.force_stop()
            return f
        except BaseException as exc:  # kept, raised after optimize
            self._fail(exc)
            return math.inf

    def _rows(self, x: np.ndarray, grad: np.ndarray) -> tuple[Any, Any]:
        """The constraint values and (when NLopt asks for them) the Jacobian at
        x; (None, None) when either holds a NaN (the run ends)."""
        task = self.task
        c = task.constraints(x)
        jac = np.asarray(task.constraints_jac(x)) if grad.size else None
        if self._poisoned(x, "the constraints", c) or (
            jac is not None and self._poisoned(x, "the constraint Jacobian", jac)
        ):
            return None, None
        return c, jac

    def equalities(self, result: np.ndarray, x: np.ndarray, grad: np.ndarray) -> None:
        if self._stopped():
            result[:] = math.inf
            return
        task, eq = self.task, self.eq
        try:
            c, jac = self._rows(x, grad)
            if c is None:
                result[:] = math.inf
                return
            result[:] = c[eq] - task.constraint_lower[eq]
            if jac is not None:
                grad[:] = jac[eq]
        except BaseException as exc:  # kept, raised after optimize
            self._fail(exc)
            result[:] = math.inf

    def inequalities(self, result: np.ndarray, x: np.ndarray, grad: np.ndarray) -> None:
        if self._stopped():
            result[:] = math.inf
            return
        task, lo, up = self.task, self.lo, self.up
        try:
            c, jac = self._rows(x, grad)
            if c is None:
                result[:] = math.inf
                return
            result[:] = np.concatenate(
                [task.constraint_lower[lo] - c[lo], c[up] - task.constraint_upper[up]]
            )
            if jac is not None:
                grad[:] = np.concatenate([-jac[lo], jac[up]])
        except BaseException as exc:  # kept, raised after optimize
            self._fail(exc)
            result[:] = math.inf


def _optimize(opt: Any, x0: np.ndarray, calls: _Callbacks, quiet: bool, nlopt: Any):
    """NLopt's answer and result code. `quiet`: NLopt's exceptions are off and
    it returns its best point with every code; else its exceptions for the
    codes are caught and the best point seen is the answer."""
    if quiet:
        x = opt.optimize(np.array(x0, dtype=np.float64))
        return x, opt.last_optimize_result()
    own = [nlopt.ForcedStop, nlopt.RoundoffLimited, RuntimeError, ValueError, MemoryError]
    if hasattr(nlopt, "exception"):  # NLopt's base class of the others (2.8 on)
        own.append(nlopt.exception)
    try:
        x = opt.optimize(np.array(x0, dtype=np.float64))
    except tuple(own):  # NLopt's own: the callbacks raise nothing
        x = calls.best_x if calls.best_x is not None else x0
    return x, opt.last_optimize_result()


def _settings(opt: Any, options: dict[str, Any], task: Task, flags: str) -> None:
    """Tolerances (tightened for a restart), initial steps, population, memory.

    A local gradient-based algorithm stops where NLopt called by hand with a
    tight rule would (``ftol_rel = xtol_rel = 1e-10``: a wrapper must not stop
    sooner than the library alone); a derivative-free or global one when a
    step gains less than a tenth of the EDM target (``ftol_abs = 0.1 * tol *
    errordef``: on a tight rule those creep on for thousands of evaluations,
    and restarts tighten it where the EDM is not met)."""
    tighter = 10.0 ** (-task.restart)
    given = any(key in options for key in ("ftol_abs", "ftol_rel"))
    precise = "d" in flags and "g" not in flags
    if "ftol_abs" in options or not (precise or given):
        ftol_abs = options.get("ftol_abs", 0.1 * task.tol * task.errordef)
        opt.set_ftol_abs(float(ftol_abs) * tighter)
    opt.set_xtol_rel(float(options.get("xtol_rel", XTOL_REL)) * tighter)
    if "ftol_rel" in options or (precise and not given):
        opt.set_ftol_rel(float(options.get("ftol_rel", FTOL_REL)) * tighter)
    if "xtol_abs" in options:
        opt.set_xtol_abs(_per_parameter(options["xtol_abs"], task.n, "xtol_abs") * tighter)
    steps = options.get("initial_step", task.step_sizes)
    if steps is not None:
        given = _per_parameter(steps, task.n, "initial_step")
        default = np.asarray(opt.get_initial_step(np.array(task.x0)), dtype=np.float64)
        steps = np.where(np.isfinite(given) & (given > 0), given, default)
        width = task.upper - task.lower
        cap = np.where(np.isfinite(width) & (width > 0), 0.25 * width, np.inf)
        opt.set_initial_step(np.minimum(steps, cap))
    if "population" in options:
        opt.set_population(int(options["population"]))
    if "vector_storage" in options:
        opt.set_vector_storage(int(options["vector_storage"]))


def _maxeval(options: dict[str, Any], task: Task, flags: str) -> tuple[int, bool]:
    """NLopt's maxeval (0: none) and whether it is extopt's budget that binds.

    When the budget binds, extopt's evaluator ends the run (EvaluationLimit,
    status "maxiter") once the budget's loss evaluations are spent. NLopt
    counts its calls, extopt new points (a point asked for again comes from
    the cache, free): NLopt's maxeval is then only a guard against an endless
    run of repeated points, far above the budget."""
    wanted = options.get("maxeval")
    if wanted is None and "n" in flags and "maxtime" not in options:
        wanted = MAXEVAL_PER_PARAMETER * task.n
    if task.max_evals is not None and (wanted is None or task.max_evals < wanted):
        return min(BUDGET_GUARD * task.max_evals + 100, _INT32_MAX), True
    return int(wanted or 0), False


def _per_parameter(value: Any, n: int, option: str) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return np.full(n, float(array))
    if array.shape != (n,):
        raise InputError(
            f"{option} must be a number or one per parameter ({n}); got {describe(value)}."
        )
    return array.copy()


def _code_name(code: int, nlopt: Any) -> str:
    for name in RESULTS:
        if getattr(nlopt, name, None) == code:
            return name
    return str(code)


# -- names and options -------------------------------------------------------------------


def capabilities_of(algorithm: str, local: str | None = None) -> Capabilities:
    """What an algorithm of `ALGORITHMS` takes with the local optimizer `local`
    (the default one of an algorithm that needs one when None)."""
    flags = _flags(algorithm)
    if local is None and "L" in flags:
        local = DEFAULT_LOCAL[algorithm]
    local_flags = _flags(local) if local is not None else ""
    return Capabilities(
        bounds="b" in flags and (local is None or "b" in local_flags),
        equalities="e" in flags,
        inequalities="i" in flags or ("I" in flags and "i" in local_flags),
        gradient="d" in flags or "d" in local_flags,
        requires_bounds="g" in flags,
    )


def markdown_table() -> str:
    """The README's table of NLopt's algorithms, made from `ALGORITHMS`."""
    named = {cls._algorithm: cls.__name__ for cls in _Named.__subclasses__()}
    rows = [
        "| algorithm | class | bounds | equality | inequality | gradient | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for algorithm, (flags, what) in ALGORITHMS.items():
        caps = capabilities_of(algorithm)
        notes = [what]
        if "g" in flags:
            notes.append("global: every bound finite")
        if "L" in flags:
            notes.append(f"local optimizer `local=` (default {DEFAULT_LOCAL[algorithm]})")
        if "l" in flags:
            notes.append("`local=` optional")
        if "n" in flags:
            notes.append(f"stops on maxeval only (default {MAXEVAL_PER_PARAMETER} n)")
        cls = named.get(algorithm, "NLoptAUGLAG" if algorithm == "LD_AUGLAG" else "")
        rows.append(
            f"| {algorithm} | {f'`{cls}`' if cls else '-'} | {mark(caps.bounds)} | "
            f"{mark(caps.equalities)} | {mark(caps.inequalities)} | "
            f"{mark(caps.gradient)} | {'; '.join(notes)} |"
        )
    return "\n".join(rows)


def _flags(algorithm: str) -> str:
    return ALGORITHMS[algorithm][0]


def _having(flag: str) -> str:
    return ", ".join(name for name, (flags, _) in ALGORITHMS.items() if flag in flags)


def _canonical(algorithm: Any, what: str) -> str:
    """An algorithm name as NLopt spells it, or an InputError with a suggestion."""
    if not isinstance(algorithm, str):
        raise InputError(
            f"{what} must be an NLopt algorithm name such as 'LD_SLSQP'; got {describe(algorithm)}."
        )
    key = algorithm.strip().upper()
    if key not in ALGORITHMS and key not in BY_LOCAL:
        raise InputError(
            f"{what} {algorithm!r} is not an NLopt algorithm extopt runs; it runs "
            f"{sorted([*ALGORITHMS, *BY_LOCAL])}." + did_you_mean(key, [*ALGORITHMS, *BY_LOCAL])
        )
    return key


def _resolve(algorithm: Any, local: Any) -> tuple[str, _Local | None]:
    """The algorithm and its local optimizer, checked against each other."""
    key = _canonical(algorithm, "algorithm")
    given = _local(local) if local is not None else None
    if key in BY_LOCAL:
        name = given.algorithm if given is not None else "LD_LBFGS"
        key = ("LD_" if "d" in _flags(name) else "LN_") + BY_LOCAL[key]
    flags = _flags(key)
    if given is None:
        if "L" in flags:
            given = _Local(DEFAULT_LOCAL[key], {})
        return key, given
    if "L" not in flags and "l" not in flags:
        raise InputError(
            f"{key} runs no local optimizer, so local={describe(local)} would be ignored; "
            f"the ones that do are {_having('L') + ', ' + _having('l')}."
        )
    local_flags = _flags(given.algorithm)
    if "L" in flags and ("d" in flags) != ("d" in local_flags):
        kind = "gradient-based" if "d" in flags else "derivative-free"
        other = key.replace("LD_", "LN_") if "d" in flags else key.replace("LN_", "LD_")
        raise InputError(
            f"{key} runs a {kind} local optimizer; local={given.algorithm!r} is not one. "
            f"Use {other} (or {key[3:]!r}, which picks by the local optimizer)."
        )
    return key, given


def _local(local: Any) -> _Local:
    """`local=` as an algorithm and options: a name, an NLopt class or instance."""
    if isinstance(local, NLopt):
        name, options = local.algorithm, dict(local.options)
        if local.local is not None:
            raise InputError(
                f"local must be a local algorithm; {name} runs a local optimizer of its own."
            )
        for key in ("maxeval", "maxtime", "stopval", "seed", "constraint_tol"):
            options.pop(key, None)  # the outer run's: NLopt keeps them there
    elif isinstance(local, type) and issubclass(local, NLopt) and local._algorithm:
        name, options = local._algorithm, {}
    else:
        name, options = _canonical(local, "local"), {}
        if name in BY_LOCAL:
            name = "LD_" + name  # refused below: it needs a local of its own
    flags = _flags(name)
    if "g" in flags or "L" in flags or "l" in flags:
        raise InputError(
            f"local must be a local algorithm (LD_ or LN_, not AUGLAG); got {name}. Local "
            "optimizers are " + ", ".join(_locals()) + "."
        )
    return _Local(name, options)


def _locals() -> list[str]:
    return [n for n, (f, _) in ALGORITHMS.items() if not set(f) & set("gLl")]


def _check_values(options: dict[str, Any], who: str) -> None:
    """Each option's value has the type and range NLopt takes."""

    def number(value: Any) -> bool:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)

    def refuse(option: str, accepted: str) -> None:
        raise InputError(f"{option} of {who} must be {accepted}; got {describe(options[option])}.")

    for option in ("ftol_rel", "ftol_abs", "xtol_rel", "constraint_tol"):
        if option in options:
            value = options[option]
            if not number(value) or not (0 <= value < math.inf):
                refuse(option, "a finite number >= 0 (0 turns the criterion off)")
    for option in ("xtol_abs", "initial_step"):
        if option in options:
            value = options[option]
            try:
                array = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                array = np.array([np.nan])
            low_ok = array >= 0 if option == "xtol_abs" else array > 0
            if (
                isinstance(value, bool)
                or array.ndim > 1
                or array.size == 0
                or not np.all(np.isfinite(array) & low_ok)
            ):
                refuse(
                    option,
                    "a finite number "
                    + (">= 0" if option == "xtol_abs" else "> 0")
                    + " or a 1-d array of them, one per parameter",
                )
    for option, low in (("maxeval", 1), ("population", 1), ("vector_storage", 0), ("seed", 0)):
        if option in options:
            value = options[option]
            if (
                isinstance(value, bool)
                or not isinstance(value, numbers.Integral)
                or not low <= value < 2**31
            ):
                refuse(option, f"an integer >= {low}")
    if "maxtime" in options:
        value = options["maxtime"]
        if not number(value) or not (0 < value < math.inf):
            refuse("maxtime", "a positive number of seconds")
    if "stopval" in options:
        value = options["stopval"]
        if not number(value) or math.isnan(value):
            refuse("stopval", "a number (the loss value at which to stop)")


# -- one class per algorithm -------------------------------------------------------------


class _Named(NLopt):
    """An NLopt minimizer with its algorithm fixed by the class (`_algorithm`)."""

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
        super().__init__(
            self._algorithm,
            tol,
            gradient,
            hessian,
            verbosity,
            maxiter,
            criterion,
            strategy,
            name,
            **options,
        )


class NLoptLBFGS(_Named):
    """NLopt's LD_LBFGS: low-storage BFGS with bounds (Luksan); `vector_storage`
    sets its memory. Options and arguments as for `NLopt`."""

    _algorithm = "LD_LBFGS"


class NLoptSLSQP(_Named):
    """NLopt's LD_SLSQP: sequential least-squares quadratic programming
    (Kraft) with bounds, equality and inequality constraints. Options and
    arguments as for `NLopt`."""

    _algorithm = "LD_SLSQP"


class NLoptMMA(_Named):
    """NLopt's LD_MMA: Svanberg's method of moving asymptotes, with bounds and
    inequality constraints. Options and arguments as for `NLopt`."""

    _algorithm = "LD_MMA"


class NLoptCCSAQ(_Named):
    """NLopt's LD_CCSAQ: conservative convex separable quadratic
    approximations (Svanberg), with bounds and inequality constraints.
    Options and arguments as for `NLopt`."""

    _algorithm = "LD_CCSAQ"


class NLoptCOBYLA(_Named):
    """NLopt's LN_COBYLA: Powell's derivative-free linear approximations, with
    bounds, equality and inequality constraints. Options and arguments as for
    `NLopt`."""

    _algorithm = "LN_COBYLA"


class NLoptBOBYQA(_Named):
    """NLopt's LN_BOBYQA: Powell's derivative-free quadratic approximations
    with bounds. Options and arguments as for `NLopt`."""

    _algorithm = "LN_BOBYQA"


class NLoptNelderMead(_Named):
    """NLopt's LN_NELDERMEAD: the Nelder-Mead simplex, derivative-free, with
    bounds. Options and arguments as for `NLopt`."""

    _algorithm = "LN_NELDERMEAD"


class NLoptSubplex(_Named):
    """NLopt's LN_SBPLX: Rowan's Subplex (Nelder-Mead on subspaces),
    derivative-free, with bounds. Options and arguments as for `NLopt`."""

    _algorithm = "LN_SBPLX"


class NLoptTruncNewton(_Named):
    """NLopt's LD_TNEWTON_PRECOND_RESTART: preconditioned truncated Newton
    with steepest-descent restarts (Luksan), with bounds. Options and
    arguments as for `NLopt`."""

    _algorithm = "LD_TNEWTON_PRECOND_RESTART"


class NLoptVarMetric(_Named):
    """NLopt's LD_VAR2: shifted limited-memory variable metric, rank 2
    (Luksan), with bounds. Options and arguments as for `NLopt`."""

    _algorithm = "LD_VAR2"


class NLoptISRES(_Named):
    """NLopt's GN_ISRES: the improved stochastic ranking evolution strategy,
    a global derivative-free search of the box (every bound finite) with
    equality and inequality constraints; `population` and `seed` apply.
    Options and arguments as for `NLopt`."""

    _algorithm = "GN_ISRES"


class NLoptDIRECT(_Named):
    """NLopt's GN_DIRECT_L: locally biased DIviding RECTangles (Gablonsky), a
    deterministic global derivative-free search of the box (every bound
    finite). Options and arguments as for `NLopt`."""

    _algorithm = "GN_DIRECT_L"


class NLoptESCH(_Named):
    """NLopt's GN_ESCH: an evolutionary global search of the box (every bound
    finite); it stops on nothing but maxeval (default 1000 per parameter) or
    maxtime. Options and arguments as for `NLopt`."""

    _algorithm = "GN_ESCH"


class NLoptAUGLAG(NLopt):
    """NLopt's augmented Lagrangian: the constraints (equality and inequality)
    become penalties, and `local` minimizes each penalized problem with the
    bounds. LD_AUGLAG when the local optimizer uses the gradient, LN_AUGLAG
    when it is derivative-free.

    local : the local optimizer: an algorithm name ("LD_LBFGS", the default,
        "LN_BOBYQA", ...), an `NLopt` class such as `NLoptLBFGS`, or an
        `NLopt` instance whose tolerances and settings it runs with (else it
        runs with this minimizer's tolerances).
    Other options and arguments as for `NLopt`.
    """

    def __init__(
        self,
        local: Any = "LD_LBFGS",
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
        super().__init__(
            "AUGLAG",
            tol,
            gradient,
            hessian,
            verbosity,
            maxiter,
            criterion,
            strategy,
            name,
            local=local,
            **options,
        )


__all__ = (
    "ALGORITHMS",
    "NLopt",
    "NLoptAUGLAG",
    "NLoptBOBYQA",
    "NLoptCCSAQ",
    "NLoptCOBYLA",
    "NLoptDIRECT",
    "NLoptESCH",
    "NLoptISRES",
    "NLoptLBFGS",
    "NLoptMMA",
    "NLoptNelderMead",
    "NLoptSLSQP",
    "NLoptSubplex",
    "NLoptTruncNewton",
    "NLoptVarMetric",
)
