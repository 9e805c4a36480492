"""TensorFlow 1 graph mode, in processes of its own (graph mode is process-wide)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("tensorflow")

HERE = pathlib.Path(__file__).parent


@pytest.mark.parametrize("mode", ["v2off", "eageroff"])
def test_seed_cases_in_graph_mode(mode):
    env = dict(os.environ, EXTOPT_TF1_MODE=mode, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(HERE),
            str(HERE / "graph_mode"),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=HERE,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
