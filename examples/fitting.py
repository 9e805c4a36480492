"""A maximum-likelihood fit with uncertainties, zfit-style: a minimizer object,
a loss with its errordef, Hessian and profile-likelihood errors, chaining.

The data: 2000 decay times from an exponential on top of a flat background;
the parameters: the lifetime `tau` and the signal fraction `frac`.
"""

import jax.numpy as jnp
import numpy as np

import extopt

rng = np.random.default_rng(7)
t_max = 10.0
times = np.concatenate([rng.exponential(1.8, 1500), rng.uniform(0, t_max, 500)])
times = times[times < t_max]


def nll(p):
    """The negative log-likelihood of an exponential (truncated at t_max) plus
    a flat background."""
    tau, frac = p["tau"], p["frac"]
    signal = jnp.exp(-times / tau) / (tau * (1 - jnp.exp(-t_max / tau)))
    return -jnp.sum(jnp.log(frac * signal + (1 - frac) / t_max))


loss = extopt.Loss(nll, errordef=0.5, backend="jax")  # 0.5: a negative log-likelihood

# A quick, loose fit with a derivative-free method, then a precise one chained
# from it: the second starts at the first's answer, with its errors as steps.
rough = extopt.ScipyNelderMead(tol=1.0).minimize(
    loss, {"tau": 1.0, "frac": 0.5}, bounds=({"tau": 0.1, "frac": 0.0}, {"tau": 10.0, "frac": 1.0})
)
result = extopt.ScipyLBFGSB(tol=1e-6).minimize(rough)
print(f"rough fit: {rough.nfev} evaluations; chained fit: {result.nfev} more\n")

result.hesse()  # symmetric errors from the exact Hessian
errors, new_minimum = result.errors()  # asymmetric profile-likelihood errors
assert new_minimum is None and result.valid
print(result)
print()
print("correlation(tau, frac):", round(result.correlation()[0, 1], 3))
np.testing.assert_allclose(
    result.values["tau"], 1.8, atol=4 * result.params["tau"]["hesse"]["error"]
)
