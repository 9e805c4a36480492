"""SciPy's own `minimize` tests against `extopt.minimize`: how many pass.

Runs the tests shipped inside the installed SciPy (`scipy/optimize/tests/`)
with `tests/scipy_suite/extopt_substitute.py`, which hands every call of
`minimize` in them to ``extopt.minimize(..., backend="numpy")`` unchanged.
Counted: the tests that called `minimize` at least once. Printed: passed,
failed, the pass rate (the target: 97%), and the failures grouped by test.

    python benchmarks/scipy_suite.py          # about two minutes
"""

from __future__ import annotations

import collections
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
SUITE = ROOT / "tests" / "scipy_suite"


def test_files() -> list[str]:
    import scipy.optimize

    folder = pathlib.Path(scipy.optimize.__file__).parent / "tests"
    return sorted(str(p) for p in folder.glob("test_*.py") if "minimize" in p.read_text())


def run() -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "outcomes.json")
        env = {**os.environ, "EXTOPT_SCIPY_SUITE_REPORT": report, "PYTHONPATH": str(SUITE)}
        subprocess.run(
            [sys.executable, "-m", "pytest", "-c", str(SUITE / "pytest.ini"),
             "-p", "extopt_substitute", "-p", "no:cacheprovider", "-q", "--tb=no",
             "-o", "addopts=", *test_files()],
            cwd=SUITE, env=env, stdout=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        with open(report) as f:
            return json.load(f)


def main() -> dict:
    outcomes = run()
    counts = collections.Counter(outcomes.values())
    total = len(outcomes)
    rate = counts["passed"] / total if total else 0.0
    print(f"SciPy's minimize tests through extopt.minimize: {counts['passed']} of {total} pass "
          f"({rate:.1%}; target 97%)")  # fmt: skip
    groups = collections.Counter(
        node.split("::", 1)[-1].split("[")[0] for node, o in outcomes.items() if o == "failed"
    )
    for name, count in groups.most_common():
        print(f"  {count:4d}  {name}")
    return {"passed": counts["passed"], "total": total, "rate": rate, "failed": dict(groups)}


if __name__ == "__main__":
    main()
