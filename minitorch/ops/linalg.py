"""Linear algebra: matrix products (matmul and its relatives) and einsum.

Two primitives do all the work. ``MatMul`` multiplies the last two dimensions
of operands that are at least 2-D, broadcasting the batch dimensions in front;
``matmul`` gives 1-D operands a dimension of size 1 before it and removes it
after, so the primitive never sees a vector, and the engine sums the gradient
of a broadcast batch back to its input's shape. ``mm``, ``bmm`` and ``dot``
are ``matmul`` with PyTorch's stricter checks. ``Einsum`` contracts any
number of operands; its gradients are einsums themselves, so they can be
differentiated again.
"""
from __future__ import annotations

__all__ = ["matmul", "mm", "bmm", "dot", "outer", "einsum"]

import math
import string

from minitorch import backend, creation
from minitorch.autograd.function import Function
from minitorch.ops import elementwise
from minitorch.tensor import Tensor, _type_name
from minitorch.ops.autocast import autocast_op


# ---------------------------------------------------------------------------------------------
# Matrix products
# ---------------------------------------------------------------------------------------------

class MatMul(Function):
    """a @ b over the last two dims, batch dims broadcast; d/da = grad @ b^T, d/db = a^T @ grad."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return backend.matmul(a, b)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return (matmul(grad_output, b.mT) if ctx.needs_input_grad[0] else None,
                matmul(a.mT, grad_output) if ctx.needs_input_grad[1] else None)


def _product(input: Tensor, other: Tensor) -> Tensor:
    """``input @ other`` for checked operands: a vector becomes a 1-row (or 1-column) matrix for MatMul."""
    if input.ndim >= 3 and other.ndim <= 2:
        # A stack times one matrix (a linear layer on a batch of sequences) is one matrix product
        # with the batch folded into rows, as in PyTorch: then other's gradient is one 2-D product
        # too, not a stack of them summed by the engine.
        result = _product(input.reshape(-1, input.shape[-1]), other)
        return result.reshape(*input.shape[:-1], *other.shape[1:])
    a = input.unsqueeze(0) if input.ndim == 1 else input
    b = other.unsqueeze(-1) if other.ndim == 1 else other
    result = MatMul.apply(a, b)
    if other.ndim == 1:
        result = result.squeeze(-1)
    if input.ndim == 1:
        result = result.squeeze(-2 if other.ndim > 1 else -1)
    return result


# The C++ type names PyTorch's matrix-product dtype errors print.
_CPP_TYPE_NAMES = {"float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double", "int8": "signed char",
                   "int16": "short int", "int32": "int", "int64": "long int", "uint8": "unsigned char",
                   "bool": "bool"}


def _check_tensors(name: str, input, other) -> None:
    for position, (argument, value) in enumerate((("input", input), ("other", other)), start=1):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{argument}' (position {position}) must be Tensor, "
                            f"not {type(value).__name__}")


def _check_dtypes(kernel: str, input: Tensor, other: Tensor) -> None:
    """Matrix products never promote: both operands must have one dtype, and it may not be bool."""
    if input.dtype is not other.dtype:
        if kernel == "dot":
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                               f"{_type_name(input.dtype)} and {_type_name(other.dtype)}")
        if kernel == "bmm":
            raise RuntimeError(f"expected scalar type {_type_name(input.dtype)} but found "
                               f"{_type_name(other.dtype)}")
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_CPP_TYPE_NAMES[input.dtype.name]} != {_CPP_TYPE_NAMES[other.dtype.name]}")
    if input.dtype is backend.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _broadcast_batch(shape_a: tuple, shape_b: tuple) -> tuple:
    """The broadcast shape of two batch shapes, with PyTorch's error when they do not broadcast."""
    ndim = max(len(shape_a), len(shape_b))
    shape_a = (1,) * (ndim - len(shape_a)) + tuple(shape_a)
    shape_b = (1,) * (ndim - len(shape_b)) + tuple(shape_b)
    result = []
    for index, (size_a, size_b) in enumerate(zip(shape_a, shape_b)):
        if size_a != size_b and 1 not in (size_a, size_b):
            raise RuntimeError(f"The size of tensor a ({size_a}) must match the size of tensor b ({size_b}) "
                               f"at non-singleton dimension {index}")
        result.append(size_b if size_a == 1 else size_a)
    return tuple(result)


def _check_vectors(input: Tensor, other: Tensor) -> None:
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
                           f"[{other.shape[0]}] to have the same number of elements, but got {input.shape[0]} "
                           f"and {other.shape[0]} elements respectively")


def _check_matrices(rows: int, inner: int, other: Tensor) -> None:
    if inner != other.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{inner} and "
                           f"{other.shape[0]}x{other.shape[1]})")


def _check_batches(batch: int, inner: int, other_batch: int, other_inner: int) -> None:
    if (batch, inner) != (other_batch, other_inner):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {inner}] "
                           f"but got: [{other_batch}, {other_inner}].")


@autocast_op
def matmul(input, other) -> Tensor:
    """The matrix product of two tensors, as ``torch.matmul``.

    1-D @ 1-D is a dot product; a 1-D operand is a row (left) or column (right)
    vector whose dimension is removed from the result; operands of 3 or more
    dims are stacks of matrices whose batch dims broadcast.

    >>> import minitorch
    >>> minitorch.matmul(minitorch.ones(2, 3), minitorch.ones(3)).tolist()
    [3.0, 3.0]
    """
    _check_tensors("matmul", input, other)
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {input.ndim}D and "
                           f"{other.ndim}D")
    # Messages as PyTorch's, which folds the batch dims of ``input`` into rows when ``other`` is 1-D or 2-D.
    rows = math.prod(input.shape[:-1])
    inner = input.shape[-1]
    if input.ndim == 1 and other.ndim == 1:
        _check_dtypes("dot", input, other)
        _check_vectors(input, other)
    elif other.ndim == 1:
        _check_dtypes("addmv_impl_cpu", input, other)
        if inner != other.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{inner}), vec ({other.shape[0]})")
    elif other.ndim == 2:
        _check_dtypes("addmm_impl_cpu_", input, other)
        _check_matrices(rows, inner, other)
    else:
        _check_dtypes("bmm", input, other)
        batch = math.prod(_broadcast_batch(input.shape[:-2], other.shape[:-2]))
        _check_batches(batch, inner, batch, other.shape[-2])
    return _product(input, other)


@autocast_op
def mm(input, mat2) -> Tensor:
    """The product of two matrices (2-D only, no broadcasting), as ``torch.mm``."""
    _check_tensors("mm", input, mat2)
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_dtypes("addmm_impl_cpu_", input, mat2)
    _check_matrices(input.shape[0], input.shape[1], mat2)
    return MatMul.apply(input, mat2)


@autocast_op
def bmm(input, mat2) -> Tensor:
    """Batched matrix product of two 3-D tensors with equal batch sizes, as ``torch.bmm``."""
    _check_tensors("bmm", input, mat2)
    for name, value in (("batch1", input), ("batch2", mat2)):
        if value.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    _check_dtypes("bmm", input, mat2)
    _check_batches(input.shape[0], input.shape[2], mat2.shape[0], mat2.shape[1])
    return MatMul.apply(input, mat2)


@autocast_op
def dot(input, tensor) -> Tensor:
    """The inner product of two 1-D tensors of one dtype, as ``torch.dot``."""
    _check_tensors("dot", input, tensor)
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    _check_dtypes("dot", input, tensor)
    _check_vectors(input, tensor)
    return _product(input, tensor)


def outer(input, vec2) -> Tensor:
    """input[i] * vec2[j], with type promotion (PyTorch computes it as this broadcast product too)."""
    for name, value in (("self", input), ("vec2", vec2)):
        if value.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {value.ndim}-D")
    return elementwise.mul(input.unsqueeze(1), vec2)


# ---------------------------------------------------------------------------------------------
# einsum
# ---------------------------------------------------------------------------------------------
#
# The public function parses PyTorch's equation syntax (implicit output, '...', spaces) into a
# canonical one where every dimension has its own letter: '...ij,jk' on shapes (5, 2, 3) and
# (3, 4) becomes 'Aij,jk->Aik'. The Einsum primitive only ever sees canonical equations.

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # PyTorch's subscripts, in its sort order
_ELLIPSIS = "*"  # stands for '...' while parsing


def _einsum_error(message: str) -> RuntimeError:
    return RuntimeError(f"einsum(): {message}")


def _split_terms(equation: str):
    """The operand terms and the output term (None when implicit), each with '...' as one token."""
    lhs, arrow, rhs = equation.partition("->")
    for index, char in enumerate(equation):
        in_arrow = arrow and len(lhs) <= index < len(lhs) + 2
        allowed = _LETTERS + " ." + ("," if index < len(lhs) else "")
        if char not in allowed and not in_arrow:
            raise _einsum_error(f"invalid subscript given at index {index} in the equation string, subscripts "
                                "must be in [a-zA-Z]")
    terms = [(f"operand {k}", term) for k, term in enumerate(lhs.split(","))]
    if arrow:
        terms.append(("output", rhs))
    parsed = []
    for where, term in terms:
        term = term.replace(" ", "").replace("...", _ELLIPSIS)
        if "." in term:
            raise _einsum_error(f"found '.' for {where} that is not part of any ellipsis")
        if term.count(_ELLIPSIS) > 1:
            raise _einsum_error(f"found '.' for {where} for which an ellipsis was already found")
        parsed.append(term)
    return (parsed[:-1], parsed[-1]) if arrow else (parsed, None)


def _label_sizes(inputs, shapes, ellipsis_letters):
    """Each letter's size, broadcasting sizes of 1 across operands (and within '...')."""
    sizes = {}
    for k, (term, shape) in enumerate(zip(inputs, shapes)):
        own = {}
        for letter, size in zip(term, shape):
            if own.setdefault(letter, size) != size:
                raise _einsum_error(f"subscript {letter} is repeated for operand {k} but the sizes don't match, "
                                    f"{size} != {own[letter]}")
            previous = sizes.setdefault(letter, size)
            if previous != size and 1 not in (previous, size):
                if letter in ellipsis_letters:
                    raise _einsum_error(f"dimension {ellipsis_letters.index(letter)} covered by ellipsis in "
                                        f"operand {k} has size {size} which does not broadcast with previously "
                                        f"seen ellipsis with size {previous} for the respective dimension")
                raise _einsum_error(f"subscript {letter} has size {size} for operand {k} which does not "
                                    f"broadcast with previously seen size {previous}")
            if previous == 1:
                sizes[letter] = size
    return sizes


def _canonical(equation: str, shapes):
    """(operand terms, output term, letter sizes): ``equation`` with one letter per dimension."""
    inputs, output = _split_terms(equation)
    if len(inputs) > len(shapes):
        raise _einsum_error("fewer operands were provided than specified in the equation")
    if len(inputs) < len(shapes):
        raise _einsum_error("more operands were provided than specified in the equation")
    ellipsis_ndims = []
    for k, (term, shape) in enumerate(zip(inputs, shapes)):
        count = len(term.replace(_ELLIPSIS, ""))
        if _ELLIPSIS not in term and count != len(shape):
            raise _einsum_error(f"the number of subscripts in the equation ({count}) does not match the number "
                                f"of dimensions ({len(shape)}) for operand {k} and no ellipsis was given")
        if count > len(shape):
            raise _einsum_error(f"the number of subscripts in the equation ({count}) is more than the number of "
                                f"dimensions ({len(shape)}) for operand {k}")
        ellipsis_ndims.append(len(shape) - count)
    # '...' gets fresh letters, shared by all operands and aligned from the right (it broadcasts).
    unused = [letter for letter in _LETTERS if letter not in equation]
    ellipsis_letters = "".join(unused[:max(ellipsis_ndims, default=0)])
    inputs = [term.replace(_ELLIPSIS, ellipsis_letters[len(ellipsis_letters) - n:])
              for term, n in zip(inputs, ellipsis_ndims)]
    if output is None:  # implicit: '...' first, then the subscripts that appear once, in order
        counts = "".join(inputs)
        output = ellipsis_letters + "".join(sorted(letter for letter in set(counts)
                                                   if counts.count(letter) == 1 and letter not in ellipsis_letters))
    else:
        for letter in output.replace(_ELLIPSIS, ""):
            if output.count(letter) > 1:
                raise _einsum_error(f"output subscript {letter} appears more than once in the output")
            if not any(letter in term for term in inputs):
                raise _einsum_error(f"output subscript {letter} does not appear in the equation for any input "
                                    "operand")
        output = output.replace(_ELLIPSIS, ellipsis_letters)
    return tuple(inputs), output, _label_sizes(inputs, shapes, ellipsis_letters)


class Einsum(Function):
    """The Einstein sum of a canonical equation; d/d(operand k) = einsum of grad_output with the other operands."""

    @staticmethod
    def forward(ctx, spec, *operands):
        inputs, output, sizes = spec
        ctx.spec = spec
        ctx.save_for_backward(*operands)
        xp = backend.array_module(operands[0])
        # Sizes of 1 broadcast against the other operands (a view, no copy).
        broadcast = [xp.broadcast_to(x, tuple(sizes[letter] for letter in term)) for x, term in zip(operands, inputs)]
        result = backend.einsum(f"{','.join(inputs)}->{output}", *broadcast, optimize=len(operands) > 1)
        if any(xp.may_share_memory(result, x) for x in operands):
            result = result.copy()  # 'ij->ji' comes back as a view of its input; a result owns its memory
        return result

    @staticmethod
    def backward(ctx, grad_output):
        operands = ctx.saved_tensors
        return (None,) + tuple(_einsum_operand_grad(ctx.spec, operands, k, grad_output)
                               if ctx.needs_input_grad[k + 1] else None for k in range(len(operands)))


def _einsum_operand_grad(spec, operands, k, grad_output):
    """The gradient of operand ``k``: grad_output contracted with the other operands, as one einsum.

    Some subscripts of operand ``k`` cannot be outputs of that einsum. A repeated one
    ('ii', a diagonal) gets a fresh letter and an identity matrix linking the two, which
    puts the gradient on the diagonal. One found in no other term (summed in this operand
    alone) is left out, and the gradient is then the same all along it, as it is along a
    dimension that broadcast from size 1 (the engine sums that one back).
    """
    inputs, output, sizes = spec
    unused = iter(letter for letter in _LETTERS if letter not in sizes)
    own, identities, identity_terms = "", [], []
    for letter in inputs[k]:
        if letter in own:
            fresh = next(unused)
            identities.append(creation.eye(sizes[letter], dtype=grad_output.dtype, device=grad_output.device))
            identity_terms.append(letter + fresh)
            letter = fresh
        own += letter
    terms = [output] + [term for j, term in enumerate(inputs) if j != k] + identity_terms
    others = [operand for j, operand in enumerate(operands) if j != k]
    kept = "".join(letter for letter in own if any(letter in term for term in terms))
    grad = einsum(f"{','.join(terms)}->{kept}", grad_output, *others, *identities)
    if kept != own:
        grad = grad.reshape(*[grad.shape[kept.index(letter)] if letter in kept else 1 for letter in own])
    broadcast_shape = [sizes[letter] for letter in inputs[k]]
    if list(grad.shape) != broadcast_shape:
        grad = grad.expand(*broadcast_shape)
    return grad


@autocast_op
def einsum(equation, *operands) -> Tensor:
    """Sums of products of the operands' elements, named by subscripts, as ``torch.einsum``.

    ``einsum('ij,jk->ik', a, b)`` is ``a @ b``; without '->' the output is the
    subscripts that appear once, in alphabetical order; '...' stands for the
    dimensions not named, which broadcast; a repeated subscript in one operand
    takes its diagonal. Operands may also come as one list.

    >>> import minitorch
    >>> minitorch.einsum('ii', minitorch.eye(3)).item()
    3.0
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise _einsum_error("must provide at least one operand")
    for index, operand in enumerate(operands):
        if not isinstance(operand, Tensor):
            raise TypeError(f"expected Tensor as element {index} in argument 1, but got {type(operand).__name__}")
    spec = _canonical(equation, [operand.shape for operand in operands])
    for operand in operands[1:]:
        if operand.dtype is not operands[0].dtype:
            raise RuntimeError(f"expected scalar type {_type_name(operands[0].dtype)} but found "
                               f"{_type_name(operand.dtype)}")
    if operands[0].dtype is backend.bool_ and len(operands) > 1:
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    return Einsum.apply(spec, *operands)
