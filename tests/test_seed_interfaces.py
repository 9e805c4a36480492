"""The seed's acceptance cases on PyTorch and TensorFlow 2 (eager); TensorFlow
1 graph mode runs the same cases in processes of its own
(tests/test_tensorflow_graph.py)."""

from __future__ import annotations

import pytest

import seed_cases as cases


def _kit(name):
    if name == "torch":
        pytest.importorskip("torch")
        from kits import TorchKit

        return TorchKit()
    pytest.importorskip("tensorflow")
    from kits import TF2Kit

    return TF2Kit()


@pytest.fixture(params=["torch", "tf2"])
def kit(request):
    return _kit(request.param)


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


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__[5:])
def test_seed_case(kit, case):
    case(kit)


@pytest.mark.parametrize(
    "method,options,tol,dim", cases.ROSENBROCK_CASES, ids=[c[0] for c in cases.ROSENBROCK_CASES]
)
def test_seed_rosenbrock(kit, method, options, tol, dim):
    cases.case_s1_s8_rosenbrock(kit, method, options, tol, dim)
