"""Elementwise ops against PyTorch: values, dtypes and gradients on drawn shapes and dtypes."""
import numpy as np
import torch
from hypothesis import given, strategies as st

import minitorch
from tests.helpers import check_against_torch, check_double_backward_against_torch, check_gradcheck
from tests.strategies import FLOAT_DTYPES, arrays, broadcastable_shapes


@given(shapes=broadcastable_shapes(), dtype=FLOAT_DTYPES, data=st.data())
def test_mul_matches_torch_with_broadcasting(shapes, dtype, data):
    a = data.draw(arrays(shapes[0], dtype))
    b = data.draw(arrays(shapes[1], dtype))
    check_against_torch(lambda x, y: x * y, lambda x, y: x * y, a, b)


def test_mul_gradcheck_and_double_backward():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3,))
    check_gradcheck(lambda x, y: x * y, a, b)
    check_double_backward_against_torch(lambda x, y: x * y * x, lambda x, y: x * y * x, a, b)
