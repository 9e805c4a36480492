"""The seed's acceptance cases in TensorFlow 1 graph mode. Graph mode is
process-wide, so tests/test_tensorflow_graph.py runs this file in processes of
its own, once with `disable_v2_behavior()` (reference variables, as legacy
code has them) and once with only `disable_eager_execution()` (resource
variables)."""

from __future__ import annotations

import os

import pytest

tf = pytest.importorskip("tensorflow")
if os.environ.get("EXTOPT_TF1_MODE") == "v2off":
    tf.compat.v1.disable_v2_behavior()
else:
    tf.compat.v1.disable_eager_execution()

import seed_cases as cases  # noqa: E402
from kits import TF1Kit  # noqa: E402

CASES = [
    cases.case_a1_unpacking_is_per_variable,
    cases.case_a2_callbacks_of_the_mock,
    cases.case_s9_equality_and_inequality,
    cases.case_s10_s11_bounds,
    cases.case_s12_kwargs_not_mutated,
    cases.case_s13_callbacks,
    cases.case_seed_errors,
    cases.case_float32_variables,
    cases.case_mixed_dtypes_and_bounds_on_a_subset,
    cases.case_warm_start,
    cases.case_vector_constraints_with_exact_jacobians,
]


@pytest.fixture
def kit():
    return TF1Kit()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__[5:])
def test_seed_case(kit, case):
    case(kit)


@pytest.mark.parametrize(
    "method,options,tol,dim", cases.ROSENBROCK_CASES, ids=[c[0] for c in cases.ROSENBROCK_CASES]
)
def test_seed_rosenbrock(kit, method, options, tol, dim):
    cases.case_s1_s8_rosenbrock(kit, method, options, tol, dim)


def test_graph_variables_are_untouched_until_the_end(kit):
    with kit.session() as session:
        x = kit.variable([3.0, -1.0], name="x")
        seen = []
        loss = tf.reduce_sum((x - 1.0) ** 2)
        opt = kit.Scipy(loss)

        def step(xk):
            seen.append(session.run(x).copy())  # the variable, read during the run

        kit.minimize(opt, step_callback=step)
        assert all((value == [3.0, -1.0]).all() for value in seen)
        assert abs(session.run(x) - 1.0).max() < 1e-5


def test_legacy_example_runs_with_only_the_import_changed():
    import pathlib
    import runpy

    example = pathlib.Path(__file__).parents[2] / "examples" / "tf1_legacy_graph.py"
    runpy.run_path(str(example))
