"""The result of a minimization.

`FitResult` reads like SciPy's `OptimizeResult` (a dict whose keys are also
attributes: x, fun, jac, success, status, message, nit, nfev, njev, nhev) with
`x` and `jac` in the user's own structure and leaf types, plus what extopt
computes for every method: Lagrange multipliers in one sign convention,
`constr_violation`, `optimality` and the other KKT measures, the counts of
everything evaluated, the elapsed time, and every field SciPy returned.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult

#: SciPy result fields that extopt renames because it gives the name another
#: meaning: SLSQP's flat `multipliers` (extopt's are per constraint) and
#: trust-constr's `method` (its sub-algorithm; extopt's `method` is the SciPy
#: method). trust-constr's `jac`, the constraint Jacobians, becomes `constr_jac`.
RENAMED = {"multipliers": "scipy_multipliers", "method": "algorithm"}

#: The fields of the verdict. `extopt.minimize` computes them when one of them
#: (or the whole result) is first read, so that a call costs what SciPy's costs
#: until the verdict is asked for (see `FitResult._settle`).
VERDICT_FIELDS = frozenset(
    {"edm", "min_curvature", "verdict", "valid", "converged", "reasons", "params_at_limit"}
)
_SETTLING = threading.RLock()


class FitResult(OptimizeResult):
    """The outcome of `extopt.minimize`: a `scipy.optimize.OptimizeResult`.

    Keys are also attributes. The main ones:

    x : the solution, in the structure and leaf types of `x0`
    fun : the loss at `x`
    jac : the gradient of the loss at `x`, in the structure of `x0` (None when
        the method is derivative-free and the backend has no automatic gradient)
    success, status, message : as reported by the algorithm
    nit, nfev, njev, nhev : iterations, loss values, gradients and Hessians
        (or Hessian-vector products) computed
    multipliers : {"eq": [...], "ineq": [...], "constraints": [...]}, one entry
        per constraint in its own output structure, such that
        ``grad f = sum J_eq^T lam + sum J_ineq^T mu`` with ``mu >= 0``
        (None without constraints)
    bound_multipliers : (lower, upper) in the structure of `x0`, both >= 0
        (None without bounds)
    constr_violation : the largest violation of a bound or a constraint
    optimality : the inf-norm of the Lagrangian gradient (the gradient for an
        unconstrained problem)
    kkt : stationarity, dual feasibility and complementarity
    counts : every count (also constraint evaluations and framework calls)
    execution_time : seconds spent in the run
    x_flat : the solution as the flat float64 vector extopt worked with
    scipy_result : SciPy's own OptimizeResult, every field of it
    """

    # Keys are attributes; names starting with "_" are plain attributes (the
    # problem and the evaluator behind the result), kept out of the data.
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"FitResult has no field {name!r}; it has {sorted(self)}."
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        if name.startswith("_"):
            object.__delattr__(self, name)
        else:
            del self[name]

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self))

    # -- the verdict, computed when first read ---------------------------------------
    def _settle(self) -> None:
        """Compute the pending verdict fields (once; thread-safe)."""
        if "_pending" not in self.__dict__:
            return
        with _SETTLING:
            pending = self.__dict__.pop("_pending", None)
            if pending is not None:
                pending(self)

    def __getitem__(self, key: Any) -> Any:
        if key in VERDICT_FIELDS:
            self._settle()
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        if key in VERDICT_FIELDS:
            self._settle()
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        if key in VERDICT_FIELDS:
            self._settle()
        return super().__contains__(key)

    def __iter__(self):
        self._settle()
        return super().__iter__()

    def __len__(self) -> int:
        self._settle()
        return super().__len__()

    def keys(self):
        self._settle()
        return super().keys()

    def items(self):
        self._settle()
        return super().items()

    def copy(self) -> FitResult:
        self._settle()
        new = FitResult(self)
        return new

    def pop(self, key: Any, *default: Any) -> Any:
        if key in VERDICT_FIELDS:
            self._settle()
        return super().pop(key, *default)

    def __eq__(self, other: object) -> bool:
        self._settle()
        if isinstance(other, FitResult):
            other._settle()
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> dict[str, Any]:
        # The data only: the live problem (compiled functions) stays behind, and
        # the loss and the minimizer are kept as their descriptions.
        self._settle()
        data = dict(self)
        for key in ("loss", "minimizer"):
            if key in data and data[key] is not None:
                data[key] = repr(data[key])
        return data

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.update(state)

    def __reduce__(self):
        return (FitResult, (), self.__getstate__())

    def __repr__(self) -> str:
        return self.__str__()

    def __str__(self) -> str:
        from ._repr import result_text

        self._settle()
        return result_text(self)

    @property
    def values(self) -> _Values:
        """The parameter values by name (zfit's `result.values`). Calling it,
        ``result.values()``, still gives the dict's values."""
        return _Values(self.get("values") or {}, self)

    # -- uncertainties -----------------------------------------------------------------
    def _live_problem(self) -> Any:
        problem = self.__dict__.get("_problem")
        if problem is None:
            from ._errors import InputError

            raise InputError(
                "this FitResult was frozen or unpickled: it keeps the numbers, not the loss, so "
                "uncertainties cannot be computed anymore."
            )
        return problem

    def _param_entries(self) -> dict:
        params = self.get("params")
        if params is None:
            from ._errors import InputError

            raise InputError("this result has no named parameters.")
        return params

    def hesse(
        self,
        method: str | None = None,
        cl: float | None = None,
        name: str = "hesse",
        sigma: float | None = None,
    ) -> dict[str, dict[str, float]]:
        """Symmetric errors from the Hessian at the minimum.

        The covariance is ``2 * errordef * H^-1`` (in the directions where the
        parameters are free), H the exact Hessian ("autodiff"), central
        differences of the gradient ("finite_difference"), or the algorithm's
        own inverse-Hessian approximation ("approx"), or Minuit's HESSE
        ("minuit", needs iminuit); None: "autodiff" where
        the backend has it, else "finite_difference". Errors are scaled to the
        confidence level `cl` (or `sigma` standard deviations; default one).
        Returns ``{name: {"error": ...}}`` and stores it under
        ``result.params[name]["hesse"]``.
        """
        from scipy.stats import norm

        from ._errors import warn
        from ._uncertainties import confidence_level, covariance, default_method

        problem = self._live_problem()
        if method is None:
            method = default_method(problem)
        cl = confidence_level(cl, sigma)
        cov = covariance(self, method)
        scale = float(norm.ppf(0.5 + cl / 2))
        diagonal = np.diag(cov.matrix)
        with np.errstate(invalid="ignore"):
            errors = np.sqrt(np.where(diagonal < 0, np.nan, diagonal)) * scale
        out = {}
        params = self._param_entries()
        for param, error in zip(self["names"], errors, strict=True):
            entry = {"error": float(error), "cl": cl, "method": method, "status": cov.status}
            params[param][name] = entry
            out[param] = {"error": float(error)}
        self._covariance = (cov.matrix, method)
        self["covariance_status"] = cov.status
        if self.get("converged") is False:  # a fit held by a limit is a minimum still
            warn(
                "hesse() on a fit that is not valid ("
                + ", ".join(self.get("reasons") or ["see its message"])
                + "): the errors describe a point that is not a verified minimum."
            )
        if cov.unconstrained:
            warn(
                f"the loss does not constrain {_listed(cov.unconstrained)} at the minimum (a flat "
                "direction of the Hessian): their errors are infinite."
            )
        if cov.negative:
            warn(
                f"the Hessian is not positive definite along {_listed(cov.negative)} (negative "
                "curvature: not a minimum there): their errors are NaN."
            )
        return out

    def errors(
        self,
        params: Any = None,
        method: str = "profile",
        cl: float | None = None,
        sigma: float | None = None,
        name: str = "errors",
    ):
        """Asymmetric errors from the profile of the loss (the MINOS idea).

        For each parameter, the values where the loss minimized over all other
        parameters has risen by ``errordef * chi2.ppf(cl, 1)`` (for one
        standard deviation: by errordef). Returns ``(errors, new_result)``:
        ``{name: {"lower": negative, "upper": positive, "is_valid": ...}}`` (also
        stored under ``result.params[name]["errors"]``) and, if a lower minimum
        was found on the way, the result of a fit restarted there (else None).
        `method`: "profile" (extopt's, also with constraints) or "minos"
        (Minuit's MINOS, needs iminuit; its second value is always None).
        """
        from scipy.stats import chi2

        from ._errors import InputError
        from ._uncertainties import confidence_level, profile_errors

        if method not in ("profile", "minos"):
            raise InputError(f"method must be 'profile' or 'minos'; got {method!r}.")
        problem = self._live_problem()
        cl = confidence_level(cl, sigma)
        names = (
            self["names"]
            if params is None
            else ([params] if isinstance(params, str) else list(params))
        )
        unknown = [p for p in names if p not in self["names"]]
        if unknown:
            raise InputError(f"unknown parameter(s) {unknown}; the fit has {self['names']}.")
        if method == "minos":
            from ._minuit import minos_errors

            found = minos_errors(self, names, cl)
            _mark_invalid_fit(self, found)
            entries = self._param_entries()
            for param, entry in found.items():
                entry["cl"] = cl
                entries[param][name] = entry
            return found, None
        from ._scipy import ScipyMinimizer

        profiler = ScipyMinimizer(
            "SLSQP" if problem.constraints is not None else "L-BFGS-B",
            options={"ftol": 1e-12, "maxiter": 10_000},
        )
        with problem.backend.session():
            found, lower_x = profile_errors(self, profiler, names, float(chi2.ppf(cl, 1)))
        _mark_invalid_fit(self, found)
        entries = self._param_entries()
        for param, entry in found.items():
            entry["cl"] = cl
            entries[param][name] = entry
        new_result = None
        if lower_x is not None:
            from ._errors import warn

            warn(
                "a lower minimum was found while profiling; the fit is restarted "
                "there and returned as the second value."
            )
            minimizer = self.get("minimizer")
            new_result = minimizer._fit(
                _replace_x0(problem, lower_x),
                self["errordef"],
                self["names"],
                None,
                self.get("loss"),
                self,
            )
        return found, new_result

    def covariance(
        self, params: Any = None, method: str | None = None, as_dict: bool = False
    ) -> Any:
        """The covariance matrix of `params` (default: all), from `hesse` (run
        now with `method` if it has not run, or ran with another method)."""
        names, idx = self._selection(params)
        cached = self.__dict__.get("_covariance")
        if cached is None or (method is not None and cached[1] != method):
            self.hesse(method=method)
        cov = self.__dict__["_covariance"][0][np.ix_(idx, idx)]
        if as_dict:
            return {
                (a, b): float(cov[i, j]) for i, a in enumerate(names) for j, b in enumerate(names)
            }
        return cov

    def correlation(
        self, params: Any = None, method: str | None = None, as_dict: bool = False
    ) -> Any:
        """The correlation matrix (the covariance scaled by the errors)."""
        names, _ = self._selection(params)
        cov = self.covariance(params, method)
        sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = cov / np.outer(sd, sd)
        if as_dict:
            return {
                (a, b): float(corr[i, j]) for i, a in enumerate(names) for j, b in enumerate(names)
            }
        return corr

    def _selection(self, params: Any) -> tuple[list[str], list[int]]:
        from ._errors import InputError

        all_names = self.get("names") or []
        names = (
            all_names if params is None else ([params] if isinstance(params, str) else list(params))
        )
        unknown = [p for p in names if p not in all_names]
        if unknown:
            raise InputError(f"unknown parameter(s) {unknown}; the fit has {all_names}.")
        return names, [all_names.index(p) for p in names]

    # -- the parameters' own objects ---------------------------------------------------
    def update_params(self) -> FitResult:
        """Write the answer into the parameters' own objects (NumPy arrays in
        place, torch tensors, TensorFlow variables); returns the result."""
        self._write(self.x_flat)
        return self

    def _write(self, flat: np.ndarray) -> None:
        from ._errors import InputError

        leaves = self.__dict__.get("_leaves")
        problem = self._live_problem()
        if leaves is None:
            raise InputError(
                "this fit's parameters were given as values in a dict or list of "
                "dicts: there are no objects to update."
            )
        problem.backend.write_leaves(leaves, problem.packer.split(np.asarray(flat)))

    def __enter__(self) -> FitResult:
        """`with result:` sets the parameters to the answer and restores them after."""
        problem = self._live_problem()
        leaves = self.__dict__.get("_leaves") or []
        saved = problem.packer._concat([problem.backend.to_numpy(leaf) for leaf in leaves])
        self._saved = saved
        self.update_params()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._write(self.__dict__.pop("_saved"))

    def freeze(self) -> FitResult:
        """Drop the live references (the loss, the compiled functions, the
        parameters' objects) and turn framework arrays into NumPy arrays, so
        that the result pickles and holds nothing alive; returns the result."""
        import optree

        for key in ("_problem", "_leaves", "_c", "_J", "_residual", "_covariance", "_given"):
            self.__dict__.pop(key, None)
        for key in ("loss", "minimizer"):
            if self.get(key) is not None:
                self[key] = repr(self[key])
        for key in ("x", "jac", "multipliers", "bound_multipliers", "constr"):
            if self.get(key) is not None:
                self[key] = optree.tree_map(_to_numpy, self[key], none_is_leaf=True)
        return self

    def _repr_html_(self) -> str:
        from ._repr import result_html

        self._settle()
        return result_html(self)


class _Values(Mapping):
    """Parameter values by name; callable like `dict.values` of the result."""

    def __init__(self, data: Mapping, owner: FitResult):
        self._data = data
        self._owner = owner

    def __getitem__(self, name):
        return self._data[name]

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)

    def __call__(self):
        self._owner._settle()
        return dict.values(self._owner)


def _listed(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _mark_invalid_fit(result: FitResult, found: dict[str, dict[str, Any]]) -> None:
    """Profile errors of a fit that has not converged to a verified minimum are
    not valid either: say so. (At a limit, the profile itself tells.)"""
    if result.get("converged") is not False:
        return
    from ._errors import warn

    why = ", ".join(result.get("reasons") or ["see its message"])
    for entry in found.values():
        entry["is_valid"] = entry["lower_valid"] = entry["upper_valid"] = False
        entry["fit_invalid"] = why
    warn(
        f"errors() on a fit that is not valid ({why}): the intervals are around a point that "
        "is not a verified minimum, and none is valid."
    )


def _to_numpy(leaf: Any) -> Any:
    if leaf is None or isinstance(leaf, int | float | np.ndarray | np.generic):
        return leaf
    if hasattr(leaf, "detach"):
        leaf = leaf.detach().cpu()
    if hasattr(leaf, "numpy"):
        return np.asarray(leaf.numpy())
    return np.asarray(leaf)


def _replace_x0(problem: Any, x0: np.ndarray) -> Any:
    import dataclasses

    return dataclasses.replace(problem, x0=np.asarray(x0, dtype=np.float64), x0_given=None)
