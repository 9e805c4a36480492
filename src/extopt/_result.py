"""The result of a minimization.

`FitResult` reads like SciPy's `OptimizeResult` (a dict whose keys are also
attributes: x, fun, jac, success, status, message, nit, nfev, njev, nhev) with
`x` and `jac` in the user's own structure and leaf types, plus what extopt
computes for every method: Lagrange multipliers in one sign convention,
`constr_violation`, `optimality` and the other KKT measures, the counts of
everything evaluated, the elapsed time, and every field SciPy returned.
"""

from __future__ import annotations

from typing import Any

#: SciPy result fields that extopt renames because it gives the name another
#: meaning: SLSQP's flat `multipliers` (extopt's are per constraint) and
#: trust-constr's `method` (its sub-algorithm; extopt's `method` is the SciPy
#: method). trust-constr's `jac`, the constraint Jacobians, becomes `constr_jac`.
RENAMED = {"multipliers": "scipy_multipliers", "method": "algorithm"}


class FitResult(dict):
    """The outcome of `extopt.minimize`.

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

    def __getstate__(self) -> dict[str, Any]:
        # The data only: the live problem (compiled functions) stays behind, and
        # the loss and the minimizer are kept as their descriptions.
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

        return result_text(self)
