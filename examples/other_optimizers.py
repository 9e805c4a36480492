"""Minuit, Ipopt and NLopt on the same problems, with the same exact derivatives.

1. Hock-Schittkowski 71 (the problem of Ipopt's own example): four parameters in
   [1, 5], one equality and one inequality; the published optimum is
   f = 17.0140173 at (1, 4.7429996, 3.8211500, 1.3794083).
2. A maximum-likelihood fit (a Gaussian peak on a flat background) with
   Minuit: MIGRAD, then HESSE and MINOS through the result, next to extopt's
   own exact-Hessian errors and profile-likelihood errors.
3. A global search (NLopt's DIRECT-L) of a box where local methods get stuck.

Needs `pip install -e ".[jax,minuit,nlopt,ipopt]"` (all in `.[all]`).
"""

import jax
import jax.numpy as jnp
import numpy as np

import extopt

jax.config.update("jax_enable_x64", True)

# -- 1. HS71 with every constrained minimizer ---------------------------------------------

HS71_F = 17.0140173


def hs71(p):
    return p[0] * p[3] * (p[0] + p[1] + p[2]) + p[2]


def sphere(p):
    return jnp.sum(p**2) - 40.0  # == 0


def product(p):
    return jnp.prod(p) - 25.0  # >= 0


loss = extopt.Loss(hs71, backend="jax")
x0 = np.array([1.0, 5.0, 5.0, 1.0])
print("HS71: f* = 17.0140173")
print(f"{'minimizer':<22} {'f':>12} {'evals':>6}  multipliers (eq, ineq)")
for minimizer in (
    extopt.Ipopt(),
    extopt.NLoptSLSQP(),
    extopt.NLoptAUGLAG(local="LD_LBFGS"),
    extopt.ScipySLSQP(),
    extopt.ScipyTrustConstr(),
):
    result = minimizer.minimize(
        loss, x0, bounds=(1.0, 5.0), equalities=sphere, inequalities=product
    )
    # converged: the EDM (the loss still to gain) below tol = 1e-3; all get closer
    assert result.converged and abs(result.fun - HS71_F) < 1e-4, (minimizer, result.fun)
    lam = result.multipliers
    print(
        f"{minimizer.name:<22} {result.fun:12.7f} {result.nfev:6d}  "
        f"({float(lam['eq'][0]):+.5f}, {float(lam['ineq'][0]):+.5f})"
    )

# The same through the functional API, by name.
res = extopt.minimize(
    hs71,
    x0,
    method="ipopt",
    backend="jax",  # x0 is NumPy: say which framework the functions are in
    bounds=(1.0, 5.0),
    equalities=sphere,
    inequalities=product,
)
print(f"\nextopt.minimize(method='ipopt'): f = {res.fun:.7f}; {res.message}")
# With sum(x^2) <= 40 instead of == 40 (the optimum is the same): MMA through
# extopt.minimize is one NLopt run with NLopt's stopping rule, and MMA's steps
# stall (XTOL_REACHED) well above the minimum; the minimizer object restarts it
# until extopt's criterion (the EDM below tol * errordef) is met.
relaxed = {"bounds": (1.0, 5.0), "inequalities": [product, lambda p: -sphere(p)]}
once = extopt.minimize(hs71, jnp.array(x0), method="nlopt:LD_MMA", **relaxed)
fit = extopt.NLoptMMA().minimize(loss, x0, **relaxed)
print(f"nlopt:LD_MMA, one run: f = {once.fun:.5f} ({once.message})")
print(f"NLoptMMA with restarts: f = {fit.fun:.7f}, converged={fit.converged}")
assert abs(fit.fun - HS71_F) < 1e-4

# -- 2. A likelihood fit with Minuit: MIGRAD, HESSE, MINOS --------------------------------

rng = np.random.default_rng(3)
lo, hi = 0.0, 10.0
data = np.concatenate([rng.normal(4.0, 0.8, 400), rng.uniform(lo, hi, 600)])


def nll(p):
    mu, sigma, frac = p["mu"], p["sigma"], p["frac"]
    peak = jnp.exp(-0.5 * ((data - mu) / sigma) ** 2) / (sigma * jnp.sqrt(2 * jnp.pi))
    return -jnp.sum(jnp.log(frac * peak + (1 - frac) / (hi - lo)))


fit_loss = extopt.Loss(nll, errordef=0.5, backend="jax")
start = {"mu": 5.0, "sigma": 1.0, "frac": 0.5}
limits = ({"mu": lo, "sigma": 0.05, "frac": 0.0}, {"mu": hi, "sigma": 5.0, "frac": 1.0})
fit = extopt.Minuit(tol=1e-4).minimize(fit_loss, start, bounds=limits)
assert fit.valid
reference = extopt.ScipyLBFGSB(tol=1e-6).minimize(fit_loss, start, bounds=limits)
np.testing.assert_allclose(fit.x_flat, reference.x_flat, atol=1e-3)

minuit_hesse = fit.hesse(method="minuit", name="minuit_hesse")
exact_hesse = fit.hesse(name="hesse")  # extopt's exact Hessian
minos, _ = fit.errors(method="minos", name="minos")
profile, _ = fit.errors(name="profile")  # extopt's profile likelihood
print(f"\nMinuit fit of a peak on a flat background: {fit.nfev} evaluations, valid={fit.valid}")
print(f"{'param':<6} {'value':>8} {'HESSE':>8} {'exact':>8} {'MINOS':>17} {'profile':>17}")
for name in ("frac", "mu", "sigma"):
    m, p = minos[name], profile[name]
    print(
        f"{name:<6} {fit.values[name]:8.4f} {minuit_hesse[name]['error']:8.4f} "
        f"{exact_hesse[name]['error']:8.4f} {m['lower']:+8.4f} {m['upper']:+8.4f} "
        f"{p['lower']:+8.4f} {p['upper']:+8.4f}"
    )
    np.testing.assert_allclose(minuit_hesse[name]["error"], exact_hesse[name]["error"], rtol=1e-2)
    np.testing.assert_allclose([m["lower"], m["upper"]], [p["lower"], p["upper"]], rtol=2e-2)

# -- 3. A global search of a box ---------------------------------------------------------


def rastrigin(x):
    return 10 * x.size + jnp.sum(x**2 - 10 * jnp.cos(2 * jnp.pi * x))


box = (-5.12, 5.12)
start = np.array([3.1, -2.2])
local = extopt.ScipyLBFGSB().minimize(extopt.Loss(rastrigin, backend="jax"), start, bounds=box)
found = extopt.NLoptDIRECT(maxeval=3000).minimize(
    extopt.Loss(rastrigin, backend="jax"), start, bounds=box
)
print(
    f"\nRastrigin: L-BFGS-B from {start} stops in a local minimum, f = {local.fun:.4f}; "
    f"DIRECT-L finds f = {found.fun:.2e} at {np.round(found.x, 6)} ({found.nfev} evaluations)"
)
assert found.fun < 1e-6 < local.fun
