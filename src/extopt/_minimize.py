"""`extopt.minimize`: the one public entry point of the functional API."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._errors import InputError, MethodError, describe
from ._evaluator import Evaluation
from ._minimizers import BaseMinimizer, Scipy
from ._params import element_names
from ._problem import Problem
from ._result import FitResult
from .backends import Backend


def minimize(
    fun: Callable[..., Any],
    x0: Any,
    args: tuple = (),
    method: str | BaseMinimizer | Callable[..., Any] | None = None,
    jac: Any = None,
    hess: Any = None,
    hessp: Callable[..., Any] | None = None,
    bounds: Any = None,
    constraints: Any = (),
    tol: float | None = None,
    callback: Callable[..., Any] | None = None,
    options: dict[str, Any] | None = None,
    *,
    equalities: Callable[..., Any] | Sequence[Callable[..., Any]] = (),
    inequalities: Callable[..., Any] | Sequence[Callable[..., Any]] = (),
    backend: str | Backend | None = None,
    loss_callback: Callable[[Evaluation], Any] | None = None,
) -> FitResult:
    """Minimize ``fun(params, *args)`` over parameters shaped like `x0`.

    A drop-in for `scipy.optimize.minimize`: the same arguments in the same
    order mean the same, and the result is an `OptimizeResult` (see README,
    "extopt.minimize and scipy.optimize.minimize" for the rules where a call
    could be read two ways and for every deliberate difference).

    Parameters
    ----------
    fun : the loss, ``fun(params, *args) -> scalar``, written in NumPy, JAX, ...
    x0 : the start point: an array, a number, or any tree of them (dict, list,
        tuple, namedtuple, and for JAX any registered node). `params` has this
        structure, and so do the answer `x` and the gradient `jac`.
    args : extra positional arguments of `fun` and of every constraint.
    method : a `scipy.optimize.minimize` method name, case-insensitive.
        None: SLSQP when there are general constraints, else L-BFGS-B (for a
        flat NumPy start SciPy's own choice: BFGS without bounds, where its
        dense matrix fits in memory). Also
        "minuit" (MIGRAD), "ipopt", and "nlopt:<ALGORITHM>" such as
        "nlopt:LD_SLSQP": the algorithm's own stopping rule, one run, its
        options in `options` by its own names (see `extopt.Minuit`,
        `extopt.Ipopt`, `extopt.NLopt`). Or a minimizer object (any
        `extopt.BaseMinimizer`, such as an algorithm you wrapped), run with
        its own settings.
    bounds : ``(lower, upper)``; each side None, a scalar, an array or a tree
        with x0's structure (None leaves and elements, and +/-inf, mean
        unbounded), broadcast to each leaf with NumPy's rules; or a
        `scipy.optimize.Bounds` on the flat vector. A start point outside the
        bounds is moved to the nearest point inside them, with a warning.
    equalities, inequalities : functions ``c(params, *args)`` returning a
        scalar, an array or a tree, held ``== 0`` / ``>= 0`` element-wise.
        Their Jacobians are exact with an autodiff backend.
    constraints : SciPy constraints (dicts, `LinearConstraint`,
        `NonlinearConstraint`) on the flat vector, as `scipy.optimize.minimize`
        takes them.
    backend : "numpy", "jax", or a `Backend` instance; None infers it from the
        leaves of x0 (NumPy arrays and Python numbers mean "numpy").
    jac : None for exact automatic derivatives (SciPy's 2-point finite
        differences with the NumPy backend, with a warning), "2-point",
        "3-point" or "cs" for SciPy's finite differences, a callable
        ``jac(params, *args)`` returning the gradient (in x0's structure or as
        a flat vector), or True when `fun` returns ``(value, gradient)``.
    hess : None for exact second derivatives where the method uses them
        (Hessian-vector products for Newton-CG, trust-ncg, trust-krylov and
        large trust-constr problems; the dense Hessian for dogleg, trust-exact
        and small trust-constr problems), a `scipy.optimize.HessianUpdateStrategy`
        (BFGS, SR1; instance or class), "2-point"/"3-point"/"cs", or a callable
        ``hess(params, *args)`` returning the (n, n) matrix in the flat order.
    tol : SciPy's `tol`; for Minuit, NLopt and Ipopt their minimizer's `tol`.
    options : the method's SciPy options; unknown names are an error.
    hessp : SciPy's ``hessp(params, p, *args)``, the Hessian times a flat
        vector `p` (Newton-CG, trust-ncg, trust-krylov, trust-constr).
    callback : SciPy's forms: ``callback(xk)`` after each iteration with a copy
        of the point (in x0's structure: a 1-D array for a flat start), or
        ``callback(intermediate_result)`` (that parameter name) with an
        `OptimizeResult` holding `x`, `fun`, `nit`, `nfev`. Raising
        StopIteration ends the run with that point as the answer; the return
        value is ignored (trust-constr's ``callback(xk, state)`` stops on True,
        as in SciPy).
    loss_callback : called with an `Evaluation` after every new loss value.

    Returns
    -------
    FitResult
        The answer in the structure of x0, SciPy's fields, the multipliers and
        the KKT measures; see `FitResult`.
    """
    # One code path: a minimizer object with no convergence criterion of its
    # own (SciPy's stopping rule, one run), no NaN strategy and no budget.
    from . import _dropin

    if options is not None and not isinstance(options, dict):
        raise MethodError(f"options must be a dict; got {describe(options)}.")
    from ._params import Loss

    if isinstance(fun, Loss):  # what the Loss carries, unless given here too
        for what, given, own in (
            ("args", args, fun.args),
            ("equalities", equalities, fun.equalities),
            ("inequalities", inequalities, fun.inequalities),
            ("backend", backend, fun.backend),
            ("jac", jac, fun.jac),
        ):
            if _given(given) and _given(own) and given is not own:
                raise InputError(
                    f"{what} is given both to extopt.minimize and to the extopt.Loss; give it "
                    "in one place."
                )
        args = args or fun.args
        equalities = equalities if _given(equalities) else fun.equalities
        inequalities = inequalities if _given(inequalities) else fun.inequalities
        backend = backend if backend is not None else fun.backend
        jac = jac if jac is not None else fun.jac
        fun = fun.fun
    tol = _dropin.plain(tol)
    if options:
        options = {key: _dropin.plain(value) for key, value in options.items()}
    x0, flat = _dropin.scipy_start(x0, backend)
    if flat:
        bounds = _dropin.scipy_bounds(bounds, np.size(x0), flat)
        if (
            method is None
            and bounds is None
            and not (_given(constraints) or _given(equalities) or _given(inequalities))
        ):
            # SciPy's choice for a flat NumPy start, where its dense matrix fits
            from ._methods import METHODS, dense_fits

            if dense_fits(METHODS["bfgs"], np.size(x0)):
                method = "BFGS"
    scipy_method = not isinstance(method, BaseMinimizer) and not (
        isinstance(method, str)
        and (method.strip().lower() in ("minuit", "ipopt") or method.lower().startswith("nlopt:"))
    )
    if scipy_method:
        from ._methods import get_method

        constrained = _given(constraints) or _given(equalities) or _given(inequalities)
        spec = get_method(method, constrained=constrained)
        from ._scipy import _check_hess_type

        _check_hess_type(hess)  # a value SciPy would not take is an error, used or not
        jac, hess, hessp = _dropin.warn_unused(spec.name, spec, jac, hess, hessp)
        if hessp is not None and hess is None:
            from ._scipy import HessianProduct

            hess = HessianProduct(hessp)
        if callback is not None and callable(callback):
            callback = _dropin.scipy_callback(callback, spec.key)
    elif hessp is not None:
        raise InputError(
            f"hessp is for SciPy's methods; method={method!r} takes its second derivatives "
            "from the backend."
        )
    minimizer = external_minimizer(method, tol=tol, hess=hess, options=options)
    if minimizer is None:
        minimizer = Scipy.like_scipy(method, hessian=hess, options=options)
    if minimizer is not method:  # made here: its verdict is computed when first read
        minimizer._verdict_on_read = True
    if tol is not None and (
        isinstance(tol, bool) or not isinstance(tol, int | float) or not tol >= 0
    ):
        raise InputError(f"tol must be None or a non-negative number; got {describe(tol)}.")
    problem = Problem.build(
        fun,
        x0,
        args=args,
        bounds=bounds,
        equalities=equalities,
        inequalities=inequalities,
        constraints=constraints,
        backend=backend,
        jac=jac,
    )
    for name, cb in (("callback", callback), ("loss_callback", loss_callback)):
        if cb is not None and not callable(cb):
            raise InputError(f"{name} must be callable or None; got {describe(cb)}.")
    result = minimizer._fit(
        problem,
        getattr(fun, "errordef", 1.0),
        element_names(problem.packer),
        None,
        fun,
        None,
        callback=callback,
        loss_callback=loss_callback,
        scipy_tol=tol,
    )
    result._leaves = problem.backend.flatten(x0)[0]
    if flat and scipy_method:
        _dropin.scipy_counts(result)
    return result


def _given(value: Any) -> bool:
    """Whether an optional argument was given (not None, not an empty sequence)."""
    return value is not None and not (isinstance(value, tuple | list) and not value)


def external_minimizer(method: Any, *, tol: Any, hess: Any, options: dict | None) -> Any:
    """The minimizer object behind method="minuit" | "ipopt" | "nlopt:NAME", with
    `extopt.minimize`'s behaviour (the algorithm's own stopping rule, one run,
    no NaN strategy, no budget); None for a SciPy method."""
    if isinstance(method, BaseMinimizer):
        for what, value in (("options", options), ("tol", tol), ("hess", hess)):
            if value not in (None, {}):
                raise InputError(
                    f"{what} cannot be given with a minimizer object as method: its settings "
                    "(options are the minimizer's own) were given when it was made."
                )
        return method
    if not isinstance(method, str):
        return None
    key = method.strip().lower()
    if key not in ("minuit", "ipopt") and not key.startswith("nlopt:"):
        return None
    settings: dict[str, Any] = dict(options or {})
    common = {"tol": tol, "criterion": False, "maxiter": None, "hessian": hess}
    if "maxiter" in settings:  # as for SciPy's methods: a budget, here of evaluations
        common["maxiter"] = settings.pop("maxiter")
    if key == "ipopt" and "tol" in settings:  # Ipopt's own tol (extopt's is tol=)
        settings["ipopt_tol"] = settings.pop("tol")
    clash = sorted(set(settings) & set(common))
    if clash:
        raise InputError(
            f"options {clash} are not options of method={method!r}: give tol= and hess= "
            "as extopt.minimize's arguments; for a convergence criterion make the "
            "minimizer object (e.g. extopt.Minuit(criterion=...)) and pass it as method."
        )
    if key == "minuit":
        from ._minuit import Minuit

        return Minuit(
            strategy=settings.pop("strategy", 1), nan_strategy=False, **common, **settings
        )
    if key == "ipopt":
        from ._ipopt import Ipopt

        return Ipopt(strategy=False, **common, **settings)
    from ._nlopt import NLopt

    return NLopt(method.strip()[len("nlopt:") :], strategy=False, **common, **settings)
