"""Plain NumPy with your own derivatives, and SciPy's constraint objects.

The NumPy backend calls your functions as they are. Give it the gradient (and,
for Hessian methods, the Hessian) you wrote; without them it falls back to
SciPy's finite differences and warns once with the cost.
"""

import numpy as np
from scipy.optimize import LinearConstraint

import extopt


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_grad(x):
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


def rosen_hess(x):
    n = x.size
    h = np.zeros((n, n))
    i = np.arange(n - 1)
    h[i, i] = 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    h[i + 1, i + 1] += 200.0
    h[i, i + 1] = h[i + 1, i] = -400.0 * x[:-1]
    return h


x0 = np.zeros(5)
for method, hess, options in (
    ("L-BFGS-B", None, {}),
    ("BFGS", None, {}),
    ("trust-exact", rosen_hess, {}),
    ("Newton-CG", rosen_hess, {"xtol": 1e-10}),  # SciPy's default xtol stops 2e-3 short
):
    res = extopt.minimize(rosen, x0, method=method, jac=rosen_grad, hess=hess, options=options)
    print(f"{method:12s} x = {np.round(res.x, 5)}  nfev {res.nfev:3d}  success {res.success}")
    np.testing.assert_allclose(res.x, np.ones(5), atol=1e-3)

# SciPy's own constraint objects on the flat vector work too: sum(x) <= 4.
# `optimality` (the KKT residual extopt computes) tells whether SLSQP's
# "success" with its default ftol=1e-6 is a good answer; a tighter ftol is.
for ftol in (1e-6, 1e-12):
    res = extopt.minimize(
        rosen,
        x0,
        method="SLSQP",
        jac=rosen_grad,
        options={"ftol": ftol},
        constraints=[LinearConstraint(np.ones((1, 5)), -np.inf, 4.0)],
    )
    print(
        f"sum(x) <= 4, ftol {ftol:.0e}: success {res.success}, KKT residual "
        f"{res.optimality:.1e}, multiplier {res.multipliers['constraints'][0]}"
    )
assert res.constr_violation < 1e-8 and res.optimality < 1e-4
