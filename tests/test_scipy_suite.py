"""SciPy's own `minimize` tests, run against `extopt.minimize` unchanged.

The tests shipped inside the installed SciPy (`scipy/optimize/tests/`) run in
a subprocess with `tests/scipy_suite/extopt_substitute.py`, which hands every
call of `minimize` to ``extopt.minimize(..., backend="numpy")``. At least 97%
of the tests that call it must pass, and every one that fails must be named
in the README's list of deliberate differences, with its reason.
"""

from __future__ import annotations

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def outcomes():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import scipy_suite
    finally:
        sys.path.pop(0)
    return scipy_suite.run()


def test_at_least_97_percent_of_scipys_minimize_tests_pass(outcomes):
    total = len(outcomes)
    passed = sum(o == "passed" for o in outcomes.values())
    assert total > 700, f"only {total} of SciPy's tests called minimize: the harness broke"
    failed = sorted(node for node, o in outcomes.items() if o == "failed")
    assert passed / total >= 0.97, f"{passed} of {total} pass; failing: {failed}"


def test_every_failing_scipy_test_is_a_listed_deliberate_difference(outcomes):
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("Deliberate differences, each with its reason") :]
    section = section[: section.index("## The result")]
    unlisted = []
    for node, outcome in outcomes.items():
        if outcome != "failed":
            continue
        name = node.split("::")[-1].split("[")[0]
        if name not in section:
            unlisted.append(node)
    assert not unlisted, f"failing SciPy tests missing from the README's list: {unlisted}"
