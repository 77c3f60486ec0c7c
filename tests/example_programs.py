"""Running the example programs from tests: in a fresh interpreter as a user does, or imported for
their builder functions."""
import importlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def example(name: str) -> str:
    """The path of ``examples/NAME.py``."""
    return str(EXAMPLES / f"{name}.py")


def run_program(arguments, blocked_modules=(), launcher=()) -> subprocess.CompletedProcess:
    """Run ``python arguments...`` (after ``launcher``, e.g. mpiexec) from the repository root on the
    checkout's minitorch; ``blocked_modules`` import as if they were not installed."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    block = "".join(f"sys.modules[{name!r}] = None; " for name in blocked_modules)
    start = f"import runpy, sys; {block}sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
    return subprocess.run([*launcher, sys.executable, "-c", start, *arguments], cwd=ROOT, env=environment,
                          capture_output=True, text=True)


def run_example(arguments, blocked_modules=(), launcher=()) -> str:
    """``run_program``, which must succeed; its standard output."""
    completed = run_program(arguments, blocked_modules, launcher)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def import_example(name: str):
    """``examples/NAME.py`` as a module (its folder on the path while it imports its neighbours)."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(EXAMPLES))
