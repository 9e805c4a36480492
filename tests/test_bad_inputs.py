"""Every bad input, at every entry point, is an extopt error naming the argument.

One table: each row is an entry point called with one bad input, the extopt
error class expected, and a pattern the message must contain, naming the
argument (and, where it helps, what is accepted). No row may end in a
traceback from inside SciPy, NumPy or a framework: the error must be raised by
extopt (an `extopt.ExtoptError`), before SciPy or the framework sees the input.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.optimize as so

import extopt
from extopt import BackendError, InputError, MethodError, ShapeError

X = np.zeros(2)


def sq(x):
    return np.sum((np.asarray(x) - 1.0) ** 2)


def grad(x):
    return 2.0 * (np.asarray(x) - 1.0)


def M(**kwargs):
    """extopt.minimize(sq, X, ...) with one argument changed."""
    fun = kwargs.pop("fun", sq)
    x0 = kwargs.pop("x0", X)
    return lambda: extopt.minimize(fun, x0, **kwargs)


def _recursive_list():
    r: list = []
    r.append(r)
    return r


def _recursive_dict():
    d: dict = {}
    d["a"] = d
    return d


# -- extopt.minimize, NumPy backend -------------------------------------------------------
NUMPY = [
    # what fun returns
    *[
        (f"fun returns {label}", M(fun=lambda x, out=out: out, jac="2-point"), InputError, r"fun")
        for label, out in [
            ("None", None),
            ("a string", "abc"),
            ("a list of two", [1.0, 2.0]),
            ("a dict", {"a": 1}),
            ("a vector", np.array([1.0, 2.0])),
            ("a string array", np.array("x")),
            ("a complex number", 1 + 2j),
            ("a bool", True),
            ("a matrix", np.ones((2, 2))),
            ("an object", object()),
            ("an empty array", np.zeros(0)),
        ]
    ],
    ("fun not callable", M(fun=5), InputError, r"fun must be callable"),
    # x0
    ("x0 None", M(x0=None), InputError, r"x0"),
    ("x0 a string", M(x0="abc"), InputError, r"x0"),
    ("x0 empty", M(x0=np.zeros(0)), InputError, r"x0 has no elements"),
    ("x0 NaN", M(x0=np.array([np.nan, 1.0])), InputError, r"x0 must be finite"),
    ("x0 inf", M(x0=np.array([np.inf, 1.0])), InputError, r"x0 must be finite"),
    ("x0 an object", M(x0=object()), InputError, r"x0"),
    ("x0 holds itself (list)", M(x0=_recursive_list()), InputError, r"x0 contains itself"),
    ("x0 holds itself (dict)", M(x0=_recursive_dict()), InputError, r"x0 contains itself"),
    ("x0 complex", M(x0=np.array([1j, 2.0])), InputError, r"x0 has complex dtype"),
    ("x0 bool", M(x0=np.array([True, False])), InputError, r"x0 has boolean dtype"),
    # method and options
    ("method a number", M(method=5), MethodError, r"method must be"),
    ("method unknown", M(method="bfgz"), MethodError, r"method 'bfgz' is not a method"),
    ("method nlopt unknown", M(method="nlopt:LD_FOO"), InputError, r"'LD_FOO'"),
    ("options a list", M(options=[1]), MethodError, r"options must be a dict"),
    ("options unknown name", M(method="BFGS", options={"maxiterr": 3}), MethodError, r"maxiterr"),
    ("norm a string", M(method="BFGS", options={"norm": "x"}), MethodError, r"options\['norm'\]"),
    ("maxiter a string", M(method="BFGS", options={"maxiter": "10"}), MethodError, r"maxiter"),
    ("maxiter NaN", M(method="BFGS", options={"maxiter": np.nan}), MethodError, r"maxiter"),
    ("gtol negative", M(method="BFGS", options={"gtol": -1.0}), MethodError, r"gtol"),
    ("gtol a string", M(method="BFGS", options={"gtol": "x"}), MethodError, r"gtol"),
    ("disp a string", M(method="BFGS", options={"disp": "yes"}), MethodError, r"disp"),
    ("c1 above c2", M(method="CG", options={"c1": 0.5, "c2": 0.1}), MethodError, r"'c1' and 'c2'"),
    ("c2 above 1", M(method="BFGS", options={"c2": 2.0}), MethodError, r"'c1' and 'c2'"),
    (
        "initial_simplex of the wrong shape",
        M(method="Nelder-Mead", options={"initial_simplex": np.zeros((2, 2))}),
        MethodError,
        r"initial_simplex.*\(3, 2\)",
    ),
    (
        "initial_simplex of strings",
        M(method="Nelder-Mead", options={"initial_simplex": [["a", "b"]] * 3}),
        MethodError,
        r"initial_simplex",
    ),
    (
        "direc of the wrong shape",
        M(method="Powell", options={"direc": np.zeros((3, 3))}),
        MethodError,
        r"direc",
    ),
    (
        "hess_inv0 of the wrong shape",
        M(method="BFGS", options={"hess_inv0": np.eye(3)}),
        MethodError,
        r"hess_inv0.*\(2, 2\)",
    ),
    (
        "hess_inv0 not positive definite",
        M(method="BFGS", options={"hess_inv0": -np.eye(2)}),
        MethodError,
        r"hess_inv0.*positive definite",
    ),
    ("scale as a long list", M(method="TNC", options={"scale": [1, 2, 3]}), MethodError, r"scale"),
    ("offset of strings", M(method="TNC", options={"offset": "ab"}), MethodError, r"offset"),
    (
        "workers a string",
        M(method="L-BFGS-B", options={"workers": "abc"}),
        MethodError,
        r"workers",
    ),
    ("workers zero", M(method="L-BFGS-B", options={"workers": 0}), MethodError, r"workers"),
    (
        "finite_diff_rel_step a string",
        M(method="L-BFGS-B", options={"finite_diff_rel_step": "abc"}),
        MethodError,
        r"finite_diff_rel_step",
    ),
    (
        "finite_diff_rel_step negative",
        M(method="L-BFGS-B", options={"finite_diff_rel_step": -1.0}),
        MethodError,
        r"finite_diff_rel_step",
    ),
    (
        "factorization_method unknown",
        M(method="trust-constr", options={"factorization_method": "LU"}),
        MethodError,
        r"factorization_method",
    ),
    ("verbose unknown", M(method="trust-constr", options={"verbose": 7}), MethodError, r"verbose"),
    ("tol a string", M(tol="x"), InputError, r"tol must be"),
    ("tol negative", M(tol=-1), InputError, r"tol must be"),
    ("tol NaN", M(tol=np.nan), InputError, r"tol must be"),
    # derivatives
    ("jac unknown scheme", M(jac="4-point"), InputError, r"jac must be"),
    ("jac a number", M(jac=5), InputError, r"jac must be"),
    ("jac of the wrong length", M(jac=lambda x: np.zeros(3)), InputError, r"gradient from jac"),
    ("jac returns None", M(jac=lambda x: None), InputError, r"gradient from jac"),
    ("jac returns strings", M(jac=lambda x: ["a", "b"]), InputError, r"gradient from jac"),
    ("jac=True without a pair", M(jac=True), InputError, r"jac=True"),
    (
        "jac finite differences for Newton-CG",
        M(method="Newton-CG", jac="2-point"),
        MethodError,
        r"Newton-CG",
    ),
    ("no jac for dogleg (NumPy backend)", M(method="dogleg"), MethodError, r"dogleg needs"),
    (
        "hess a number",
        M(method="trust-exact", jac=grad, hess=5),
        InputError,
        r"hess must be",
    ),
    (
        "hess a string",
        M(method="trust-exact", jac=grad, hess="exact"),
        InputError,
        r"hess must be",
    ),
    (
        "hess of the wrong shape",
        M(method="trust-exact", jac=grad, hess=lambda x: np.eye(3)),
        InputError,
        r"hess must return an \(2, 2\)",
    ),
    (
        "hess NaN",
        M(method="trust-exact", jac=grad, hess=lambda x: np.full((2, 2), np.nan)),
        InputError,
        r"hess returned .*non-finite",
    ),
    (
        "hess finite differences with finite-difference jac",
        M(method="trust-constr", jac="2-point", hess="2-point"),
        MethodError,
        r"Hessian of trust-constr cannot also be finite differences",
    ),
    (
        "hess a quasi-Newton update for trust-exact",
        M(method="trust-exact", jac=grad, hess=so.BFGS()),
        MethodError,
        r"trust-exact cannot use a quasi-Newton",
    ),
    (
        "hessp of the wrong length",
        M(method="Newton-CG", jac=grad, hessp=lambda x, p: np.zeros(3)),
        InputError,
        r"hessp must return",
    ),
    ("hessp not callable", M(method="Newton-CG", jac=grad, hessp=5), InputError, r"hessp"),
    ("hessp with Minuit", M(method="minuit", hessp=lambda x, p: p), InputError, r"hessp"),
    # bounds
    ("bounds a string", M(bounds="abc"), InputError, r"bounds must be"),
    ("bounds three pairs for two", M(bounds=[(0, 1)] * 3), InputError, r"bounds"),
    ("bounds lower above upper", M(bounds=(1.0, 0.0)), InputError, r"bounds.*empty"),
    ("bounds of the wrong shape", M(bounds=(np.zeros(3), None)), ShapeError, r"lower bound"),
    ("bounds NaN", M(bounds=(np.nan, None)), InputError, r"lower bound .*NaN"),
    ("bounds pair min above max", M(bounds=[(0, 1), (3, 2)]), InputError, r"bounds\[1\]"),
    ("bounds pair of strings", M(bounds=[("a", 1), (0, 1)]), InputError, r"bound.*numbers"),
    ("Bounds of the wrong length", M(bounds=so.Bounds([0, 0, 0], 1)), InputError, r"bounds"),
    (
        "Bounds keep_feasible of the wrong length",
        M(method="trust-constr", bounds=so.Bounds(0, 2, keep_feasible=[True] * 3)),
        ShapeError,
        r"bounds.lb has shape \(3,\)",
    ),
    ("bounds for BFGS", M(method="BFGS", bounds=(0, 1)), MethodError, r"BFGS cannot take bounds"),
    ("bounds for CG", M(method="CG", bounds=(0, 1)), MethodError, r"CG cannot take bounds"),
    # constraints
    ("constraints a string", M(constraints="abc"), InputError, r"constraints must be"),
    ("constraints an object", M(constraints=[object()]), InputError, r"constraints\[0\]"),
    ("constraint dict without fun", M(constraints={"type": "eq"}), InputError, r"\['fun'\]"),
    (
        "constraint dict of unknown type",
        M(constraints={"type": "eqq", "fun": lambda x: x[0]}),
        InputError,
        r"\['type'\]",
    ),
    (
        "constraint jac of the wrong shape",
        M(constraints={"type": "eq", "fun": lambda x: x[0], "jac": lambda x: np.zeros(5)}),
        InputError,
        r"\['jac'\] must return an \(1, 2\)",
    ),
    (
        "constraint jac not callable",
        M(constraints={"type": "eq", "fun": lambda x: x[0], "jac": 5}),
        InputError,
        r"\['jac'\]",
    ),
    (
        "constraint returns None",
        M(constraints={"type": "eq", "fun": lambda x: None}),
        InputError,
        r"\['fun'\] must return numbers",
    ),
    (
        "constraint returns a matrix",
        M(constraints={"type": "eq", "fun": lambda x: np.ones((2, 2))}),
        InputError,
        r"\['fun'\]",
    ),
    (
        "constraint changes its length",
        M(
            method="SLSQP",
            constraints={"type": "ineq", "fun": lambda x: np.ones(1 + int(x[0] != 0))},
        ),
        InputError,
        r"same number of values",
    ),
    (
        "LinearConstraint of the wrong width",
        M(constraints=so.LinearConstraint(np.ones((1, 3)), 0, 1)),
        InputError,
        r"constraints\[0\].A has 3 columns",
    ),
    (
        "NonlinearConstraint bounds of the wrong length",
        M(constraints=so.NonlinearConstraint(lambda x: x, [0, 0, 0], 1)),
        InputError,
        r"constraints\[0\].lb",
    ),
    (
        "constraints for BFGS",
        M(method="BFGS", constraints={"type": "eq", "fun": lambda x: x[0]}),
        MethodError,
        r"BFGS cannot take equality",
    ),
    (
        "inequalities for L-BFGS-B",
        M(method="L-BFGS-B", inequalities=lambda x: x[0]),
        MethodError,
        r"L-BFGS-B cannot take inequality",
    ),
    ("equalities a number", M(equalities=5), InputError, r"equalities must be"),
    ("inequalities a string", M(inequalities="x"), InputError, r"inequalities must be"),
    ("equalities returns a string", M(equalities=lambda x: "a"), InputError, r"equalities\[0\]"),
    (
        "more equalities than parameters for trust-constr",
        M(method="trust-constr", equalities=lambda x: np.array([x[0], x[1], x[0] + x[1] - 1])),
        MethodError,
        r"more equality constraints than independent variables",
    ),
    # callbacks, backend, sizes
    ("callback a number", M(callback=5), InputError, r"callback must be callable"),
    ("loss_callback a string", M(loss_callback="print"), InputError, r"loss_callback"),
    ("backend unknown", M(backend="mxnet"), BackendError, r"backend 'mxnet'"),
    ("backend misspelt", M(backend="jaxx"), BackendError, r"Did you mean 'jax'"),
    ("backend a number", M(backend=5), InputError, r"backend must be"),
    (
        "a dense method too large for memory",
        M(x0=np.zeros(80_000), method="BFGS", jac=grad),
        MethodError,
        r"BFGS keeps dense \(80000, 80000\).*L-BFGS-B",
    ),
    (
        "SLSQP too large for memory",
        M(x0=np.zeros(80_000), method="SLSQP", jac=grad),
        MethodError,
        r"SLSQP keeps dense",
    ),
    # Minuit, Ipopt, NLopt through extopt.minimize
    (
        "Minuit strategy a string",
        M(method="minuit", options={"strategy": "x"}),
        InputError,
        r"strategy",
    ),
    ("Minuit unknown option", M(method="minuit", options={"foo": 1}), InputError, r"foo"),
    ("NLopt unknown option", M(method="nlopt:LD_LBFGS", options={"foo": 1}), InputError, r"foo"),
    (
        "a minimizer object with options",
        M(method=extopt.ScipyLBFGSB(), options={"maxiter": 3}),
        InputError,
        r"options cannot be given with a minimizer object",
    ),
]


# -- minimizer objects --------------------------------------------------------------------
OBJECTS = [
    ("tol negative", lambda: extopt.ScipyLBFGSB(tol=-1), InputError, r"tol"),
    ("tol a string", lambda: extopt.ScipyBFGS(tol="x"), InputError, r"tol"),
    ("maxiter negative", lambda: extopt.ScipyLBFGSB(maxiter=-5), InputError, r"maxiter"),
    ("maxiter a string", lambda: extopt.ScipyLBFGSB(maxiter="x"), InputError, r"maxiter"),
    ("verbosity a string", lambda: extopt.ScipyLBFGSB(verbosity="loud"), InputError, r"verbosity"),
    ("gradient unknown", lambda: extopt.ScipyLBFGSB(gradient="4-point"), InputError, r"gradient"),
    (
        "gradient for Nelder-Mead",
        lambda: extopt.ScipyNelderMead(gradient="2-point"),
        MethodError,
        r"Nelder-Mead uses no gradient",
    ),
    (
        "hessian for trust-exact a quasi-Newton update",
        lambda: extopt.ScipyTrustExact(hessian="bfgs"),
        MethodError,
        r"trust-exact cannot use a quasi-Newton",
    ),
    ("options unknown", lambda: extopt.ScipyLBFGSB(foo=1), MethodError, r"foo"),
    ("Minuit strategy 5", lambda: extopt.Minuit(strategy=5), InputError, r"strategy"),
    ("NLopt algorithm unknown", lambda: extopt.NLopt("XX_FOO"), InputError, r"XX_FOO"),
    (
        "minimize without params",
        lambda: extopt.ScipyLBFGSB().minimize(lambda p: sq(p), None),
        InputError,
        r"x0|params",
    ),
    (
        "minimize with a loss that is no function",
        lambda: extopt.ScipyLBFGSB().minimize(5, X),
        InputError,
        r"fun|loss",
    ),
    (
        "minimize with bounds of the wrong shape",
        lambda: extopt.ScipyLBFGSB().minimize(sq, X, bounds=(np.zeros(3), None)),
        ShapeError,
        r"lower bound",
    ),
    (
        "minimize with constraints the method cannot take",
        lambda: extopt.ScipyLBFGSB().minimize(sq, X, equalities=lambda x: x[0]),
        MethodError,
        r"L-BFGS-B cannot take equality",
    ),
]


def _fit():
    return extopt.minimize(sq, np.array([0.5, 2.0]), jac=grad, method="L-BFGS-B")


RESULTS = [
    ("hesse with an unknown method", lambda: _fit().hesse(method="magic"), InputError, r"method"),
    ("hesse with cl above 1", lambda: _fit().hesse(cl=1.5), InputError, r"cl"),
    ("hesse with cl and sigma", lambda: _fit().hesse(cl=0.9, sigma=2), InputError, r"cl|sigma"),
    ("errors with an unknown method", lambda: _fit().errors(method="x"), InputError, r"method"),
    ("errors of an unknown parameter", lambda: _fit().errors("y[0]"), InputError, r"y\[0\]"),
    ("errors with sigma negative", lambda: _fit().errors(sigma=-1), InputError, r"sigma"),
    (
        "errors of a frozen result",
        lambda: _fit().freeze().errors(),
        InputError,
        r"frozen",
    ),
]


def _run(row):
    name, call, error, pattern = row
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the finite-difference notice, ...
        with pytest.raises(error, match=pattern) as info:
            call()
    assert isinstance(info.value, extopt.ExtoptError), f"{name}: not an extopt error"
    # raised by extopt itself, not let through from SciPy, NumPy or a framework
    frame = info.traceback[-1]
    assert "extopt" in str(frame.path), f"{name}: raised at {frame.path}"


@pytest.mark.parametrize("row", NUMPY + OBJECTS + RESULTS, ids=lambda r: r[0])
def test_bad_input_is_an_extopt_error_naming_it(row):
    _run(row)


# -- the framework backends ---------------------------------------------------------------
def _framework_rows(name):
    if name == "jax":
        jnp = pytest.importorskip("jax.numpy")
        x0, total = jnp.zeros(2), jnp.sum
        as_int = lambda v: jnp.sum(v).astype(jnp.int32)  # noqa: E731
        as_complex = lambda v: jnp.sum(v) * 1j  # noqa: E731
    elif name == "torch":
        torch = pytest.importorskip("torch")
        x0, total = torch.zeros(2, dtype=torch.float64), torch.sum
        as_int = lambda v: torch.sum(v).to(torch.int64)  # noqa: E731
        as_complex = lambda v: torch.sum(v) * 1j  # noqa: E731
    else:
        tf = pytest.importorskip("tensorflow")
        x0, total = tf.zeros(2, dtype=tf.float64), tf.reduce_sum
        as_int = lambda v: tf.cast(tf.reduce_sum(v), tf.int32)  # noqa: E731
        as_complex = lambda v: tf.complex(tf.reduce_sum(v), tf.constant(1.0, tf.float64))  # noqa: E731

    def F(fun, **kw):
        return lambda: extopt.minimize(fun, x0, **kw)

    def good(v):
        return total(v * v)

    rows = [
        ("fun returns None", F(lambda v: None), InputError, r"fun"),
        ("fun returns a string", F(lambda v: "abc"), InputError, r"fun"),
        ("fun returns a list", F(lambda v: [1.0, 2.0]), InputError, r"fun"),
        ("fun returns a vector", F(lambda v: v * 2), InputError, r"fun must return a real scalar"),
        ("fun returns an integer", F(as_int), InputError, r"integer"),
        ("fun returns a complex", F(as_complex), InputError, r"fun"),
        ("jac of the wrong length", F(good, jac=lambda v: np.zeros(3)), InputError, r"jac"),
        (
            "equality returns None",
            F(good, equalities=lambda v: None),
            InputError,
            r"equalities\[0\]",
        ),
        (
            "equality returns a string",
            F(good, equalities=lambda v: "s"),
            InputError,
            r"equalities\[0\]",
        ),
        ("bounds of the wrong shape", F(good, bounds=(np.zeros(3), None)), ShapeError, r"lower"),
        ("method unknown", F(good, method="bfgz"), MethodError, r"bfgz"),
        (
            "hess of the wrong shape",
            F(good, method="trust-exact", hess=lambda v: np.eye(3)),
            InputError,
            r"hess",
        ),
    ]
    if name == "torch":
        rows.append(
            (
                "fun returns a detached tensor",
                F(lambda v: torch.sum(v * v).detach()),
                InputError,
                r"no autograd graph",
            )
        )
        rows.append(
            ("fun returns a Python float", F(lambda v: 1.0), InputError, r"no autograd graph")
        )
    if name == "tensorflow":
        rows.append(
            ("fun returns a Python float", F(lambda v: 1.0), InputError, r"not a TensorFlow tensor")
        )
    return rows


@pytest.mark.parametrize("backend", ["jax", "torch", "tensorflow"])
def test_bad_input_under_each_framework_is_an_extopt_error(backend):
    rows = _framework_rows(backend)
    failures = []
    for row in rows:
        try:
            _run(row)
        except BaseException as exc:  # collect them all, then report
            failures.append(f"{row[0]}: {type(exc).__name__}: {exc}"[:300])
    assert not failures, "\n".join(failures)


def test_the_table_has_at_least_150_rows():
    n = len(NUMPY) + len(OBJECTS) + len(RESULTS)
    n += sum(len(_framework_rows(b)) for b in ("jax", "torch", "tensorflow"))
    assert n >= 150, n
