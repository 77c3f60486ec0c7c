"""Test configuration: hypothesis profiles sized for CI (2 cores, a 15-minute budget)."""
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=15, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_report_header(config):
    """Say where the parity checks run minitorch (MINITORCH_TEST_DEVICE, see tests/helpers.py)."""
    return f"minitorch test device: {os.environ.get('MINITORCH_TEST_DEVICE', 'cpu')}"


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Tests that change the default dtype or grad mode must not leak it into the next test."""
    import minitorch
    dtype = minitorch.get_default_dtype()
    yield
    minitorch.set_default_dtype(dtype)
    minitorch.autograd.grad_mode._set_enabled(True)
