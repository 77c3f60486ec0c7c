#!/usr/bin/env bash
# The GPU checks of issue 9, as ONE prepared run on a machine with an NVIDIA GPU (about 10 minutes):
#   1. CuPy and the test tools: the installed ones, else wheels carried in .whl/, else PyPI;
#   2. the parity suite (ops, nn, optim: every check_against_torch / check_module_against_torch /
#      optimizer-trajectory test) re-run with minitorch on the GPU: MINITORCH_TEST_DEVICE=cuda;
#   3. the tests marked `cuda` (tests/test_cuda.py and any other);
#   4. benchmarks/run.py --device cuda (both libraries on the GPU, when PyTorch sees it too).
# Logs go to $OUT when it is set (the device tool brings them back), else to /tmp/gpu_check.
# The parity run stops after 25 failures, not at the first: one run must show the whole picture.
#
#   bash scripts/gpu_check.sh            # CUPY_PACKAGE=cupy-cuda13x for a CUDA 13 driver without CuPy
set -uo pipefail
cd "$(dirname "$0")/.."
LOGS="${OUT:-/tmp/gpu_check}"
mkdir -p "$LOGS"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
SUMMARY="$LOGS/summary.txt"
: >"$SUMMARY"

# Run a phase under a time limit, its output in $LOGS/<name>.log, its exit status in the summary.
phase() {
    local name=$1 limit=$2
    shift 2
    local start=$SECONDS
    timeout "$limit" "$@" >"$LOGS/$name.log" 2>&1
    local status=$?
    echo "$name: exit $status after $((SECONDS - start)) s: $*" | tee -a "$SUMMARY"
    tail -n 3 "$LOGS/$name.log" | sed 's/^/    /' | tee -a "$SUMMARY"
}

# 1. What the run needs. The project's test extra pins the CPU build of torch 2.13, which this machine must
#    not replace with its own CUDA build: only missing tools are installed.
install() {
    if compgen -G ".whl/*.whl" >/dev/null; then  # carried wheels: the machine may reach no registry
        python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl &&
            export PYTHONPATH="$PYTHONPATH:/tmp/site"
    else
        python3 -m pip install -q "$@"
    fi
}
python3 -c "import cupy" 2>/dev/null || install "${CUPY_PACKAGE:-cupy-cuda12x}"
python3 -c "import pytest, hypothesis, torch" 2>/dev/null || install pytest hypothesis torch
{
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
    python3 -c "import sys, numpy, torch; print('python', sys.version.split()[0], 'numpy', numpy.__version__,
'torch', torch.__version__, 'torch sees a GPU:', torch.cuda.is_available())"
    python3 -c "import cupy, minitorch; print('cupy', cupy.__version__, 'minitorch sees',
minitorch.cuda.device_count(), 'GPU(s):', minitorch.cuda.get_device_name())"
} >"$LOGS/environment.txt" 2>&1
cat "$LOGS/environment.txt" | tee -a "$SUMMARY"

# pytest-xdist, where installed, spreads the parity run over the CPU cores (all share the one GPU).
WORKERS=()
python3 -c "import xdist" 2>/dev/null && WORKERS=(-n 8)

# 2. The parity suite on the GPU: PyTorch stays on the CPU as the oracle.
PARITY_TESTS=(tests/test_elementwise.py tests/test_reduction.py tests/test_shape.py tests/test_indexing.py
              tests/test_linalg.py tests/test_promotion.py tests/test_nn_*.py tests/test_optim*.py)
MINITORCH_TEST_DEVICE=cuda phase parity 330 python3 -m pytest -q -m "not mpi" --maxfail=25 "${WORKERS[@]}" \
    "${PARITY_TESTS[@]}"

# 3. The tests written for the GPU.
phase cuda_marked 90 python3 -m pytest -q -m cuda -rs tests

# 4. Speed and memory against PyTorch, both on the GPU (the script says why and exits 0 when it cannot).
phase benchmarks 150 python3 benchmarks/run.py --device cuda --repeats 5
