"""The benchmark script keeps working: it runs and reports every field (never how fast; that is run by hand)."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import minitorch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "run.py"


def run_script(*arguments):
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, str(SCRIPT), *arguments], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=300)


def test_json_report_has_times_memory_ratios_and_machine():
    # Two cheap workloads, one timed round: mlp has arrays of hundreds of KiB, so its memory growth is certain.
    completed = run_script("--workload", "mlp", "--workload", "small_ops", "--repeats", "1", "--threads", "1",
                           "--json")
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    machine = report["machine"]
    assert machine["cores"] >= 1 and machine["threads"] == 1 and machine["device"] == "cpu"
    assert machine["numpy"] and machine["torch"] and machine["date"]
    assert set(report["workloads"]) == {"mlp", "small_ops"}
    for result in report["workloads"].values():
        for library in ("minitorch", "torch"):
            times = result[library]
            assert 0 < times["min"] <= times["median"] <= times["max"]
            assert isinstance(times["peak_memory_bytes"], int) and times["peak_memory_bytes"] >= 0
        assert result["ratio"] > 0
    mlp = report["workloads"]["mlp"]
    assert mlp["minitorch"]["peak_memory_bytes"] > 0 and mlp["torch"]["peak_memory_bytes"] > 0
    assert mlp["memory_ratio"] == mlp["minitorch"]["peak_memory_bytes"] / mlp["torch"]["peak_memory_bytes"]
    assert mlp["per"] == "training step" and report["workloads"]["small_ops"]["per"] == "op"


def test_default_run_is_the_issues_five_workloads():
    spec = importlib.util.spec_from_file_location("benchmarks_run", SCRIPT)
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    assert run.DEFAULT_WORKLOADS == ("cnn", "lstm", "gan", "mha", "mlp_small")
    assert set(run.WORKLOADS) == set(run.DEFAULT_WORKLOADS) | set(run.PROBES)
    assert run.parse_args([]).workload is None


@pytest.mark.skipif(minitorch.cuda.is_available(), reason="this machine has a GPU for minitorch")
def test_cuda_without_a_gpu_is_skipped_with_the_reason():
    # A skip, not a failure: status 0, the reason on stderr, and {"skipped": reason} for --json readers.
    completed = run_script("--device", "cuda", "--workload", "mlp_small", "--json")
    assert completed.returncode == 0
    assert "skipped: --device cuda needs a GPU" in completed.stderr
    assert json.loads(completed.stdout)["skipped"]
