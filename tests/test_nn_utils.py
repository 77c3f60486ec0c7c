"""``nn.utils`` against PyTorch on the same gradients: gradient clipping and parameter vectors."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from tests.helpers import check_program
from tests.strategies import FLOAT_DTYPES

SHAPES = [(3, 4), (4,), (2, 1, 3)]


def _parameters(L, seed=0, dtype=np.float32, scale=1.0, with_unused=True):
    """Parameters with the same gradients in both libraries (and one without a gradient)."""
    generator = np.random.default_rng(seed)
    parameters = []
    for shape in SHAPES:
        parameter = L.nn.Parameter(L.tensor(generator.standard_normal(shape).astype(dtype)))
        parameter.grad = L.tensor((scale * generator.standard_normal(shape)).astype(dtype))
        parameters.append(parameter)
    if with_unused:
        parameters.append(L.nn.Parameter(L.zeros(2, dtype=getattr(L, np.dtype(dtype).name))))
    return parameters


@given(max_norm=st.sampled_from([0.1, 1.0, 100.0]), norm_type=st.sampled_from([2.0, 1, 3.5, float("inf"), "inf"]),
       dtype=FLOAT_DTYPES, scale=st.sampled_from([0.01, 1.0, 10.0]))
def test_clip_grad_norm_matches_torch(max_norm, norm_type, dtype, scale):
    def program(L):
        parameters = _parameters(L, dtype=dtype, scale=scale)
        total_norm = L.nn.utils.clip_grad_norm_(iter(parameters), max_norm, norm_type=norm_type)
        return [total_norm] + [p.grad for p in parameters]
    check_program(program)


CLIP_CASES = {
    "one_tensor": lambda L: L.nn.utils.clip_grad_norm_(_parameters(L)[0], 0.5),
    "no_gradients": lambda L: L.nn.utils.clip_grad_norm_([L.nn.Parameter(L.ones(2))], 1.0),
    "empty": lambda L: L.nn.utils.clip_grad_norm_([], 1.0),
    "nonfinite_allowed": lambda L: L.nn.utils.clip_grad_norm_(_with_nan(L), 1.0),
    "nonfinite_raises": lambda L: L.nn.utils.clip_grad_norm_(_with_nan(L), 1.0, error_if_nonfinite=True),
    "total_norm": lambda L: L.nn.utils.get_total_norm([p.grad for p in _parameters(L, with_unused=False)], 3.0),
    "clip_with_norm": lambda L: _clipped_with_norm(L),
    "clip_value": lambda L: _clipped_values(L, 0.5),
    "clip_value_of_one_tensor": lambda L: _clipped_values(L, 1, single=True),
}


def _with_nan(L):
    parameters = _parameters(L)
    parameters[0].grad[0, 0] = float("nan")
    return parameters


def _clipped_with_norm(L):
    parameters = _parameters(L)
    L.nn.utils.clip_grads_with_norm_(parameters, 1.0, L.tensor(4.0))
    return [p.grad for p in parameters]


def _clipped_values(L, value, single=False):
    parameters = _parameters(L)
    assert L.nn.utils.clip_grad_value_(parameters[0] if single else parameters, value) is None
    return [p.grad for p in parameters]


@pytest.mark.parametrize("case", CLIP_CASES.values(), ids=CLIP_CASES.keys())
def test_clipping_cases_match_torch(case):
    check_program(case)


def test_clipping_keeps_the_gradient_objects_and_records_no_graph():
    parameters = _parameters(minitorch, scale=10.0)
    grads = [p.grad for p in parameters]
    total_norm = minitorch.nn.utils.clip_grad_norm_(parameters, 1.0)
    assert all(p.grad is g for p, g in zip(parameters, grads))
    assert total_norm.grad_fn is None and total_norm.shape == ()
    assert minitorch.nn.utils.get_total_norm([g for g in grads if g is not None]).item() == pytest.approx(1.0, rel=1e-5)


def test_parameters_to_vector_matches_torch_and_is_differentiable():
    def program(L):
        parameters = _parameters(L)
        vector = L.nn.utils.parameters_to_vector(parameters)
        (vector * L.arange(vector.numel(), dtype=vector.dtype)).sum().backward()
        return [vector] + [p.grad for p in parameters]
    check_program(program)


def test_vector_to_parameters_matches_torch_and_shares_the_vectors_memory():
    def program(L):
        parameters = _parameters(L)
        vector = L.arange(float(sum(p.numel() for p in parameters)))
        L.nn.utils.vector_to_parameters(vector, parameters)
        vector.mul_(2)
        return [p.detach().clone() for p in parameters] + [p.requires_grad for p in parameters]
    check_program(program)


def test_vector_to_parameters_rejects_what_is_not_a_tensor_like_torch():
    check_program(lambda L: L.nn.utils.vector_to_parameters([1.0, 2.0], _parameters(L)), message=False)
