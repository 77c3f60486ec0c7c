"""The README's main example runs from a fresh interpreter and learns its task."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quickstart_learns_the_spirals():
    environment = dict(os.environ, PYTHONPATH=str(ROOT))  # the checkout's minitorch, installed or not
    completed = subprocess.run([sys.executable, str(ROOT / "examples" / "quickstart.py")], cwd=ROOT, env=environment,
                               capture_output=True, text=True, timeout=300, check=True)
    accuracy = float(re.findall(r"accuracy (\d\.\d+)", completed.stdout)[-1])
    assert accuracy >= 0.95, completed.stdout
