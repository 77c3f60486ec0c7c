"""The benchmark script keeps working (it is run by hand; here only that it runs, never how fast)."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_script_runs_and_reports_ratios():
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    completed = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--workload", "small_ops",
                                "--workload", "mlp", "--repeats", "1", "--json"], cwd=ROOT, env=environment,
                               capture_output=True, text=True, timeout=300, check=True)
    results = json.loads(completed.stdout)
    assert set(results) == {"small_ops", "mlp"}
    for result in results.values():
        assert result["ratio"] > 0 and result["minitorch"]["median"] > 0 and result["torch"]["median"] > 0
