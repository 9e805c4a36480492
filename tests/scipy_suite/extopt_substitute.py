"""A pytest plugin that runs SciPy's own `minimize` tests (the ones shipped
inside SciPy's wheel, `scipy/optimize/tests/`) against `extopt.minimize`.

In the test modules, the name `minimize` (and `optimize.minimize`) is
replaced by ``extopt.minimize(..., backend="numpy")`` with the arguments
passed straight through. SciPy's own internals (basinhopping, shgo, ...) keep
SciPy's `minimize`: the tests of those algorithms are not tests of `minimize`.
A test counts when it called the substitute at least once; at the end a JSON
summary is written to the path
in the environment variable EXTOPT_SCIPY_SUITE_REPORT (if set).

    python -m pytest -p extopt_substitute --pyargs scipy.optimize.tests
"""

from __future__ import annotations

import json
import os
import sys
import types

import pytest
import scipy.optimize
import scipy.optimize._minimize as _scipy_minimize

import extopt

_ORIGINAL = _scipy_minimize.minimize
_CALLS = [0]
_OUTCOMES: dict[str, str] = {}


def substitute(*args, **kwargs):
    _CALLS[0] += 1
    kwargs.setdefault("backend", "numpy")
    return extopt.minimize(*args, **kwargs)


class _Optimize(types.ModuleType):
    """`scipy.optimize` as the test modules see it: `minimize` is extopt's."""

    def __getattr__(self, name):
        return substitute if name == "minimize" else getattr(scipy.optimize, name)


_PROXY = _Optimize("scipy.optimize")


def _patch() -> None:
    for name, module in list(sys.modules.items()):
        if not name.startswith("scipy.optimize.tests"):
            continue
        if getattr(module, "minimize", None) is _ORIGINAL:
            module.minimize = substitute
        if getattr(module, "optimize", None) is scipy.optimize:
            module.optimize = _PROXY


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _patch()
    before = _CALLS[0]
    item._extopt_failed = False
    yield
    if _CALLS[0] > before:
        _OUTCOMES[item.nodeid] = "failed" if item._extopt_failed else "passed"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        item._extopt_failed = True


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("EXTOPT_SCIPY_SUITE_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(_OUTCOMES, f, indent=1, sort_keys=True)
