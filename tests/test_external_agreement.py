"""The three outside families and SciPy on the same fits: one maximum-likelihood
fit whose values and errors agree with each other and with the closed form, and
Hock-Schittkowski 71 (published optimum 17.0140173) whose answer, multipliers
and covariance agree across every constrained minimizer."""

from __future__ import annotations

import numpy as np
import pytest

import extopt

jax = pytest.importorskip("jax")
jnp = jax.numpy
pytest.importorskip("iminuit")
pytest.importorskip("nlopt")
pytest.importorskip("ipyopt")

SAMPLE = np.random.default_rng(11).normal(1.5, 0.7, size=2000)


def gaussian_nll(p):
    mu, sigma = p["mu"], p["sigma"]
    return jnp.sum(jnp.log(sigma) + 0.5 * ((SAMPLE - mu) / sigma) ** 2)


def test_a_likelihood_fit_agrees_across_minuit_ipopt_nlopt_scipy_and_the_closed_form():
    loss = extopt.Loss(gaussian_nll, errordef=0.5, backend="jax")
    start = {"mu": 1.0, "sigma": 1.0}
    limits = ({"mu": -10.0, "sigma": 0.01}, {"mu": 10.0, "sigma": 10.0})
    n = SAMPLE.size
    mu_hat, sigma_hat = SAMPLE.mean(), SAMPLE.std()
    # the closed form: errors sigma/sqrt(n) and sigma/sqrt(2n), uncorrelated
    expected = {"mu": sigma_hat / np.sqrt(n), "sigma": sigma_hat / np.sqrt(2 * n)}
    results = {}
    for minimizer in (
        extopt.Minuit(tol=1e-5),
        extopt.Ipopt(tol=1e-5),
        extopt.NLoptLBFGS(tol=1e-5),
        extopt.ScipyLBFGSB(tol=1e-5),
    ):
        result = minimizer.minimize(loss, start, bounds=limits)
        assert result.valid, (minimizer, result.message)
        # at the MLE to a small fraction of the statistical error
        assert abs(result.values["mu"] - mu_hat) < 0.01 * expected["mu"]
        assert abs(result.values["sigma"] - sigma_hat) < 0.01 * expected["sigma"]
        hesse = result.hesse()
        for name, error in expected.items():
            assert hesse[name]["error"] == pytest.approx(error, rel=1e-3)
        results[type(minimizer).__name__] = result
    minuit = results["Minuit"]
    minuit_hesse = minuit.hesse(method="minuit", name="minuit_hesse")
    minos, _ = minuit.errors(method="minos", name="minos")
    for other in results.values():
        profile, new_minimum = other.errors()
        assert new_minimum is None
        for name in expected:
            assert minuit_hesse[name]["error"] == pytest.approx(expected[name], rel=1e-3)
            # the same crossing points, each measured from its own minimum
            for side in ("lower", "upper"):
                assert other.values[name] + profile[name][side] == pytest.approx(
                    minuit.values[name] + minos[name][side], abs=2e-3 * expected[name]
                )


HS71_F = 17.0140173
HS71_X = np.array([1.0, 4.74299963, 3.82114998, 1.37940829])


def hs71(p):
    return p[0] * p[3] * (p[0] + p[1] + p[2]) + p[2]


@pytest.fixture(scope="module")
def hs71_results():
    loss = extopt.Loss(hs71, backend="jax")
    out = {}
    for minimizer in (
        extopt.Ipopt(tol=1e-6),
        extopt.NLoptSLSQP(tol=1e-6),
        extopt.NLoptAUGLAG(tol=1e-6),
        extopt.ScipySLSQP(tol=1e-6),
        extopt.ScipyTrustConstr(tol=1e-6),
    ):
        out[type(minimizer).__name__] = minimizer.minimize(
            loss,
            np.array([1.0, 5.0, 5.0, 1.0]),
            bounds=(1.0, 5.0),
            equalities=lambda p: jnp.sum(p**2) - 40.0,
            inequalities=lambda p: jnp.prod(p) - 25.0,
        )
    return out


def test_hs71_answer_multipliers_and_covariance_agree_across_constrained_minimizers(
    hs71_results,
):
    reference = hs71_results["ScipySLSQP"]
    cov_ref = reference.covariance()
    for name, result in hs71_results.items():
        # x[0] sits at its lower bound: converged, but not valid (a parameter at a limit)
        assert result.converged and result.params_at_limit, (name, result.message)
        assert result.fun == pytest.approx(HS71_F, abs=1e-5), name
        np.testing.assert_allclose(result.x, HS71_X, atol=2e-3, err_msg=name)
        # Ipopt's published multipliers, in extopt's sign
        assert float(result.multipliers["eq"][0]) == pytest.approx(-0.16146857, abs=1e-4)
        assert float(result.multipliers["ineq"][0]) == pytest.approx(0.55229366, abs=1e-4)
        # in the one free direction (x[0] at its bound, two active constraints)
        np.testing.assert_allclose(result.covariance(), cov_ref, rtol=2e-2, atol=1e-6)
    assert cov_ref[0, 0] == pytest.approx(0.0, abs=1e-12) and np.trace(cov_ref) > 0
