"""Linear algebra against PyTorch: matmul in every dimensionality, mm/bmm/dot/outer, einsum, and errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from tests.helpers import check_against_torch, check_double_backward_against_torch, check_gradcheck
from tests.strategies import FLOAT_DTYPES, arrays, broadcastable_shapes


def random_arrays(shapes, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [np.asarray(rng.uniform(-2.0, 2.0, size=shape)).astype(dtype) for shape in shapes]


# ---------------------------------------------------------------------------------------------
# matmul
# ---------------------------------------------------------------------------------------------

@st.composite
def matmul_shapes(draw):
    """Shapes for every case of matmul: each operand a vector, a matrix, or a stack of matrices
    whose batch dims broadcast against the other's."""
    n, k, m = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch_a, batch_b = draw(broadcastable_shapes(count=2, min_dims=0, max_dims=3, max_side=3))
    shape_a = (k,) if draw(st.booleans()) else tuple(batch_a) + (n, k)
    shape_b = (k,) if draw(st.booleans()) else tuple(batch_b) + (k, m)
    return shape_a, shape_b


@given(shapes=matmul_shapes(), dtype=FLOAT_DTYPES, transposed=st.booleans(), data=st.data())
def test_matmul_matches_torch_on_every_dimensionality(shapes, dtype, transposed, data):
    shape_a, shape_b = shapes
    if transposed and len(shape_a) >= 2:  # a non-contiguous left operand: the transpose of a stored array
        shape_a = shape_a[:-2] + (shape_a[-1], shape_a[-2])
    a = data.draw(arrays(shape_a, dtype))
    b = data.draw(arrays(shape_b, dtype))
    flip = transposed and len(shape_a) >= 2

    def product(x, y):
        return (x.mT if flip else x) @ y
    check_against_torch(product, product, a, b)


# Each row: a call that both libraries spell the same way, and its operands' shapes.
PRODUCTS = {
    "mm": (lambda x, y: x.mm(y), [(2, 3), (3, 4)]),
    "bmm": (lambda x, y: x.bmm(y), [(2, 2, 3), (2, 3, 4)]),
    "dot": (lambda x, y: x.dot(y), [(5,), (5,)]),
    "outer": (lambda x, y: x.outer(y), [(3,), (4,)]),
    "matmul_method": (lambda x, y: x.matmul(y), [(4, 1, 2, 3), (3, 3, 2)]),
    "matmul_function_vector_stack": (lambda x, y: (torch if isinstance(x, torch.Tensor) else minitorch)
                                     .matmul(x, y), [(3,), (2, 3, 4)]),
    "matmul_empty_inner": (lambda x, y: x @ y, [(2, 0), (0, 3)]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", PRODUCTS)
def test_matrix_product_matches_torch(name, dtype):
    fn, shapes = PRODUCTS[name]
    check_against_torch(fn, fn, *random_arrays(shapes, dtype))


# Matrix products do not promote, but integer and half products exist, as in PyTorch's CPU kernels.
OTHER_DTYPES = [
    (lambda x, y: x @ y, [(2, 3), (3, 4)], np.int64),
    (lambda x, y: x @ y, [(2, 2, 3), (3,)], np.int32),
    (lambda x, y: x.dot(y), [(4,), (4,)], np.uint8),
    (lambda x, y: x @ y, [(2, 3), (3, 4)], np.float16),
]


@pytest.mark.parametrize("fn, shapes, dtype", OTHER_DTYPES)
def test_matmul_keeps_integer_and_half_dtypes(fn, shapes, dtype):
    inputs = [np.arange(np.prod(shape)).reshape(shape).astype(dtype) % 7 for shape in shapes]
    check_against_torch(fn, fn, *inputs)


def test_outer_promotes_like_torch():
    a, b = random_arrays([(3,), (2,)])
    check_against_torch(lambda x, y: x.outer(y), lambda x, y: x.outer(y), a.astype(np.float32), b)


MATMUL_GRAD_SHAPES = [
    [(4,), (4,)],
    [(3, 4), (4,)],
    [(4,), (4, 2)],
    [(2, 1, 3, 4), (3, 4, 2)],
    [(4,), (2, 4, 3)],
    [(2, 3, 4), (4,)],
]


@pytest.mark.parametrize("shapes", MATMUL_GRAD_SHAPES, ids=str)
def test_matmul_gradcheck_and_double_backward(shapes):
    inputs = random_arrays(shapes)
    check_gradcheck(lambda x, y: x @ y, *inputs)
    # The product with itself makes the second derivative depend on both inputs.
    check_double_backward_against_torch(lambda x, y: (x @ y) * (x @ y), lambda x, y: (x @ y) * (x @ y), *inputs)


# ---------------------------------------------------------------------------------------------
# einsum
# ---------------------------------------------------------------------------------------------

EINSUM_CASES = {
    "matrix_product": ("ij,jk->ik", [(2, 3), (3, 4)]),
    "implicit_matrix_product": ("ij,jk", [(2, 3), (3, 4)]),
    "batched": ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    "transpose": ("ij->ji", [(2, 3)]),
    "identity": ("ij->ij", [(2, 3)]),
    "implicit_sorted_output": ("ba", [(2, 3)]),
    "uppercase_before_lowercase": ("aB,Bc", [(2, 3), (3, 4)]),
    "trace": ("ii->", [(3, 3)]),
    "implicit_trace": ("ii", [(3, 3)]),
    "diagonal": ("ii->i", [(3, 3)]),
    "diagonal_contracted": ("iij,jk->ik", [(3, 3, 2), (2, 4)]),
    "sum_all": ("ij->", [(2, 3)]),
    "sum_rows": ("ij->j", [(2, 3)]),
    "dot": ("i,i->", [(4,), (4,)]),
    "outer": ("i,j->ij", [(3,), (4,)]),
    "zero_dim_operand": (",i->i", [(), (3,)]),
    "three_operands": ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    "ellipsis_broadcast": ("...ij,...jk->...ik", [(2, 1, 2, 3), (5, 3, 4)]),
    "implicit_ellipsis": ("b...a", [(2, 4, 3)]),
    "ellipsis_summed": ("...ij->j", [(2, 4, 3)]),
    "ellipsis_only_in_output": ("ij->...ji", [(2, 3)]),
    "size_one_broadcast": ("ij,ij->ij", [(1, 3), (2, 3)]),
    "size_one_contracted": ("ij,jk->ik", [(2, 1), (3, 4)]),
    "spaces": (" ij , jk -> ik ", [(2, 3), (3, 4)]),
}


def _einsum(equation, as_list=False):
    def fn(*operands):
        library = torch if isinstance(operands[0], torch.Tensor) else minitorch
        return library.einsum(equation, list(operands)) if as_list else library.einsum(equation, *operands)
    return fn


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", EINSUM_CASES)
def test_einsum_matches_torch(name, dtype):
    equation, shapes = EINSUM_CASES[name]
    check_against_torch(_einsum(equation), _einsum(equation), *random_arrays(shapes, dtype))


def test_einsum_accepts_operands_as_one_list():
    fn = _einsum("ij,jk->ik", as_list=True)
    check_against_torch(fn, fn, *random_arrays([(2, 3), (3, 4)]))


@pytest.mark.parametrize("name", EINSUM_CASES)
def test_einsum_gradcheck_and_double_backward(name):
    equation, shapes = EINSUM_CASES[name]
    inputs = random_arrays(shapes, seed=1)
    check_gradcheck(_einsum(equation), *inputs)
    check_double_backward_against_torch(_einsum(equation), _einsum(equation), *inputs)


def test_einsum_double_backward_of_a_squared_product():
    def fn(x, y):
        library = torch if isinstance(x, torch.Tensor) else minitorch
        product = library.einsum("bij,bjk->bik", x, y)
        return library.einsum("bik,bik->bk", product, product)
    check_double_backward_against_torch(fn, fn, *random_arrays([(2, 2, 3), (2, 3, 4)]))


def test_einsum_result_does_not_alias_its_operand():
    x = minitorch.ones(2, 3)
    result = minitorch.einsum("ij->ji", x)
    result.add_(1.0)
    assert x.tolist() == [[1.0] * 3] * 2


# ---------------------------------------------------------------------------------------------
# Errors: the same exception type (and message) as PyTorch's
# ---------------------------------------------------------------------------------------------

def _call(name):
    return lambda library, *operands: getattr(library, name)(*operands)


def _einsum_call(equation):
    return lambda library, *operands: library.einsum(equation, *operands)


# Each row: a call and its operands as (shape, dtype name).
F, D = "float32", "float64"
ERRORS = {
    "matmul_zero_dim": (_call("matmul"), [((), F), ((3,), F)]),
    "matmul_vectors": (_call("matmul"), [((3,), F), ((4,), F)]),
    "matmul_matrix_vector": (_call("matmul"), [((2, 3), F), ((4,), F)]),
    "matmul_vector_matrix": (_call("matmul"), [((3,), F), ((4, 5), F)]),
    "matmul_matrices": (_call("matmul"), [((2, 3), F), ((4, 5), F)]),
    "matmul_stack_matrix": (_call("matmul"), [((2, 2, 3), F), ((4, 5), F)]),
    "matmul_stack_vector": (_call("matmul"), [((2, 2, 3), F), ((4,), F)]),
    "matmul_vector_stack": (_call("matmul"), [((3,), F), ((2, 4, 5), F)]),
    "matmul_stacks_inner": (_call("matmul"), [((2, 2, 3), F), ((2, 4, 5), F)]),
    "matmul_stacks_batch": (_call("matmul"), [((2, 2, 3), F), ((3, 3, 5), F)]),
    "matmul_dtypes": (_call("matmul"), [((2, 3), F), ((3, 4), D)]),
    "matmul_dtypes_int_float": (_call("matmul"), [((2, 3), "int64"), ((3, 4), F)]),
    "matmul_dtypes_stacks": (_call("matmul"), [((2, 2, 3), F), ((2, 3, 4), D)]),
    "matmul_dtypes_vectors": (_call("matmul"), [((3,), F), ((3,), D)]),
    "matmul_bool": (_call("matmul"), [((2, 3), "bool"), ((3, 4), "bool")]),
    "matmul_bool_matrix_vector": (_call("matmul"), [((2, 3), "bool"), ((3,), "bool")]),
    "mm_vector_self": (_call("mm"), [((3,), F), ((3, 4), F)]),
    "mm_vector_mat2": (_call("mm"), [((2, 3), F), ((3,), F)]),
    "mm_shapes": (_call("mm"), [((2, 3), F), ((4, 5), F)]),
    "mm_dtypes": (_call("mm"), [((2, 3), F), ((3, 4), D)]),
    "bmm_matrix": (_call("bmm"), [((2, 3), F), ((3, 4), F)]),
    "bmm_batch": (_call("bmm"), [((2, 2, 3), F), ((3, 3, 4), F)]),
    "bmm_inner": (_call("bmm"), [((2, 2, 3), F), ((2, 4, 4), F)]),
    "bmm_dtypes": (_call("bmm"), [((2, 2, 3), F), ((2, 3, 4), D)]),
    "dot_matrix": (_call("dot"), [((2, 3), F), ((3,), F)]),
    "dot_sizes": (_call("dot"), [((3,), F), ((4,), F)]),
    "dot_dtypes": (_call("dot"), [((3,), F), ((3,), D)]),
    "dot_bool": (_call("dot"), [((3,), "bool"), ((3,), "bool")]),
    "outer_matrix_self": (_call("outer"), [((2, 3), F), ((3,), F)]),
    "outer_matrix_vec2": (_call("outer"), [((3,), F), ((3, 2), F)]),
    "einsum_fewer_operands": (_einsum_call("ij,jk->ik"), [((2, 3), F)]),
    "einsum_more_operands": (_einsum_call("ij"), [((2, 3), F), ((3,), F)]),
    "einsum_sizes": (_einsum_call("ij,jk->ik"), [((2, 3), F), ((4, 5), F)]),
    "einsum_subscript_count": (_einsum_call("ijk,jk->ik"), [((2, 3), F), ((3, 5), F)]),
    "einsum_subscripts_beyond_ellipsis": (_einsum_call("...ijk->ij"), [((2, 3), F)]),
    "einsum_unknown_output": (_einsum_call("ij->k"), [((2, 3), F)]),
    "einsum_repeated_output": (_einsum_call("ij->ii"), [((2, 3), F)]),
    "einsum_dtypes": (_einsum_call("ij,jk->ik"), [((2, 3), F), ((3, 4), D)]),
    "einsum_invalid_subscript": (_einsum_call("i1->i"), [((2, 3), F)]),
    "einsum_broken_arrow": (_einsum_call("ij-ij"), [((2, 3), F)]),
    "einsum_second_arrow": (_einsum_call("ij->i->j"), [((2, 3), F)]),
    "einsum_diagonal_sizes": (_einsum_call("ii->i"), [((3, 4), F)]),
    "einsum_ellipsis_sizes": (_einsum_call("...ij,...jk"), [((2, 2, 3), F), ((5, 3, 4), F)]),
    "einsum_two_ellipses": (_einsum_call("...i...->i"), [((2, 3), F)]),
    "einsum_stray_dot": (_einsum_call("i.j"), [((2, 3), F)]),
    "einsum_bool": (_einsum_call("ij,j->i"), [((2, 3), "bool"), ((3,), "bool")]),
}


def _exception(library, call, operands):
    tensors = [library.ones(shape, dtype=getattr(library, "bool" if name == "bool" else name))
               for shape, name in operands]
    with pytest.raises(Exception) as caught:
        call(library, *tensors)
    return caught.value


@pytest.mark.parametrize("name", ERRORS)
def test_error_matches_torch(name):
    call, operands = ERRORS[name]
    expected = _exception(torch, call, operands)
    actual = _exception(minitorch, call, operands)
    assert type(actual) is type(expected), f"{type(actual).__name__}: {actual}; torch: {type(expected).__name__}"
    # Spaces aside: one of PyTorch's einsum messages lacks a space ("operand 1has size").
    assert str(actual).replace(" ", "") == str(expected).splitlines()[0].replace(" ", "")


@pytest.mark.parametrize("call", [lambda library, x: library.matmul([1.0], x),
                                  lambda library, x: library.einsum("i,i", x, 2)])
def test_non_tensor_operands_raise_type_error(call):
    for library in (torch, minitorch):
        with pytest.raises(TypeError):
            call(library, library.ones(1))
