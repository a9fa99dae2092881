"""`make bench`: runs every benchmarks/bench_*.py in turn, each printing its table with ratios against a
baseline measured in the same run, and saves their JSON results under var/bench/.

Each bench module has `main() -> dict` (its results) and prints its own table. Run one with
`python -m tests.perf.bench_NAME`. BENCH_ONLY=name1,name2 limits the run.
"""
import importlib
import json
import os
import pkgutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    only = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
    names = sorted(m.name for m in pkgutil.iter_modules([str(ROOT / "tests" / "perf")]) if m.name.startswith("bench_"))
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    for name in names:
        if only and name.removeprefix("bench_") not in only and name not in only:
            continue
        print(f"\n===== {name} =====", flush=True)
        started = time.monotonic()
        try:
            results = importlib.import_module(f"tests.perf.{name}").main()
        except Exception as exc:  # one broken bench must not hide the others
            failures += 1
            print(f"!! {name} failed: {exc.__class__.__name__}: {exc}", flush=True)
            continue
        (out_dir / f"{name}.json").write_text(json.dumps(results, indent=2, default=str))
        print(f"({name}: {time.monotonic() - started:.1f} s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
