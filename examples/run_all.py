"""Run every example in this folder, each in a process of its own (TensorFlow 1
graph mode is process-wide); exit non-zero if one fails."""

import os
import pathlib
import subprocess
import sys
import time

here = pathlib.Path(__file__).parent
env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
failed = []
for path in sorted(here.glob("*.py")):
    if path.name == "run_all.py":
        continue
    print(f"=== {path.name}", flush=True)
    start = time.perf_counter()
    if subprocess.run([sys.executable, str(path)], env=env).returncode:
        failed.append(path.name)
        print(f"FAILED: {path.name}")
    print(f"--- {path.name}: {time.perf_counter() - start:.2f} s\n", flush=True)
if failed:
    print("failed examples:", ", ".join(failed))
    sys.exit(1)
print("all examples ran")
