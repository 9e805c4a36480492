"""Run every example in this folder; exit non-zero if one fails."""

import pathlib
import runpy
import sys
import time

here = pathlib.Path(__file__).parent
failed = []
for path in sorted(here.glob("*.py")):
    if path.name == "run_all.py":
        continue
    print(f"=== {path.name}")
    start = time.perf_counter()
    try:
        runpy.run_path(str(path), run_name="__main__")
    except Exception as exc:  # report and go on, so one failure does not hide others
        failed.append(path.name)
        print(f"FAILED: {type(exc).__name__}: {exc}")
    print(f"--- {path.name}: {time.perf_counter() - start:.2f} s\n")
if failed:
    print("failed examples:", ", ".join(failed))
    sys.exit(1)
print("all examples ran")
