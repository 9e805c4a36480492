"""The benchmark suite at tiny sizes, so that it cannot rot.

No timing is asserted here (timings belong to `python benchmarks/run.py`);
what is checked is that every section runs with whatever contenders are
installed and that the counts and answers it reports are right."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return json.loads(out.read_text())


def test_every_section_reports(smoke):
    for section in (
        "overhead",
        "solves",
        "pytrees",
        "logistic",
        "constrained",
        "scale",
        "import",
        "collection",
        "alone",
        "verdict",
    ):
        assert smoke[section], section
    assert smoke["smoke"] is True
    assert smoke["machine"]["cpus"] >= 1


def test_overhead_ratios_are_measured(smoke):
    # no comparison of the ratio with the medians: the ratio is the median of
    # side-by-side ratios, and on a busy machine the two differ by any amount
    for row in smoke["overhead"]:
        assert row["floor_us"] > 0 and row["extopt_us"] > 0
        assert 0 < row["ratio"] < float("inf")


def test_the_paired_ratio_is_the_median_of_side_by_side_ratios():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import _common
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    # pairs 2/1, 4/1, 9/3: ratios 2, 4, 3; the ratio of medians would be 4
    assert _common.paired_ratio({"a": [2.0, 4.0, 9.0], "b": [1.0, 1.0, 3.0]}, "a", "b") == 3.0


def test_every_solve_reaches_the_same_optimum(smoke):
    """Same problem, same method: every contender ends at the Rosenbrock optimum."""
    for row in smoke["solves"] + smoke["pytrees"]:
        assert row["fun"] < 1e-4, row
    funs = {round(row["fun"], 3) for row in smoke["logistic"]}
    assert len(funs) == 1, smoke["logistic"]


def test_one_framework_call_per_new_point_for_slsqp(smoke):
    rows = [r for r in smoke["constrained"] if "SLSQP" in r["contender"]]
    assert rows
    for row in rows:
        assert row["calls_per_point"] == 1, row
    funs = [r["fun"] for r in smoke["constrained"] if r["problem"].startswith("vector")]
    assert max(funs) - min(funs) < 1e-5 * (1 + abs(funs[0]))


def test_import_pulls_in_no_framework(smoke):
    (row,) = [r for r in smoke["import"] if r["import"] == "extopt"]
    assert row["frameworks imported"] == []


def test_hessian_free_runs_agree_with_the_floor(smoke):
    rows = smoke["scale"]
    for method in ("Newton-CG", "trust-krylov"):
        (floor,) = [r for r in rows if r["method"] == method and "floor" in r["contender"]]
        for row in rows:
            if row["method"] == method:
                assert row["fun"] == pytest.approx(floor["fun"], rel=1e-3, abs=1e-8), row


def test_exact_derivatives_solve_the_whole_smoke_collection(smoke):
    rows = [r for r in smoke["collection"] if "contender" in r]
    extopt_rows = [r for r in rows if r["contender"].startswith("extopt")]
    assert extopt_rows
    assert all(r["success"] for r in extopt_rows), [r for r in extopt_rows if not r["success"]]


def test_the_wrapper_is_never_worse_than_the_library_alone_on_the_smoke_set(smoke):
    for family in smoke["alone"]:
        for c in ("object", "minimize"):
            assert family["lost"][c] == [], (family["family"], c)
            assert family["valid_unverified"][c] == [], (family["family"], c)


def test_the_verdict_cost_is_measured(smoke):
    verdict = smoke["verdict"]
    assert all(0 <= row["total fraction"] < 1 for row in verdict["summary"])
    big = verdict["large"]
    assert big["valid"] and big["bytes per parameter"] > 0
