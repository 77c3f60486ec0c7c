"""Numerical checks of gradients: ``gradcheck`` and ``gradgradcheck``, as in ``torch.autograd``.

The analytic Jacobian (one backward per output element) is compared with a
central finite difference (two forwards per input element). Use float64
inputs: the differences are too coarse in lower precision.
"""
from __future__ import annotations

import numpy


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when the analytic and numerical Jacobians differ."""


def _differentiable_inputs(inputs):
    from minitorch.tensor import Tensor
    return [tensor for tensor in inputs if isinstance(tensor, Tensor) and tensor.requires_grad]


def _outputs_of(func, inputs):
    from minitorch.tensor import Tensor
    outputs = func(*inputs)
    outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    return [output for output in outputs if isinstance(output, Tensor) and output.is_floating_point()]


def _numerical_jacobians(func, inputs, differentiable, eps):
    """For each (input, output) pair: d output / d input by central differences, as (out.numel, in.numel)."""
    outputs = _outputs_of(func, inputs)
    jacobians = [[numpy.zeros((output.numel(), tensor.numel())) for output in outputs] for tensor in differentiable]
    # Not under no_grad: func may itself differentiate (gradgradcheck).
    for input_index, tensor in enumerate(differentiable):
        data = tensor._data  # perturbed in place, element by element (whatever its strides)
        for element, position in enumerate(numpy.ndindex(*data.shape)):
            original = data[position].item()
            data[position] = original + eps
            plus = _flat_outputs(func, inputs)
            data[position] = original - eps
            minus = _flat_outputs(func, inputs)
            data[position] = original
            for output_index in range(len(outputs)):
                jacobians[input_index][output_index][:, element] = (plus[output_index] - minus[output_index]) / (2 * eps)
    return jacobians


def _flat_outputs(func, inputs):
    return [numpy.asarray(output.detach().cpu()).reshape(-1).astype(numpy.float64) for output in _outputs_of(func, inputs)]


def _analytic_jacobians(func, inputs, differentiable):
    """The same Jacobians from autograd: one ``grad`` call per output element."""
    from minitorch import autograd
    from minitorch.tensor import Tensor
    outputs = _outputs_of(func, inputs)
    jacobians = [[numpy.zeros((output.numel(), tensor.numel())) for output in outputs] for tensor in differentiable]
    for output_index, output in enumerate(outputs):
        if not output.requires_grad:
            continue
        for element in range(output.numel()):
            unit = numpy.zeros(output.numel(), dtype=numpy.asarray(output.detach().cpu()).dtype)
            unit[element] = 1
            grad_output = Tensor._wrap(unit.reshape(output._data.shape)).to(output.device)
            grads = autograd.grad([output], differentiable, [grad_output], retain_graph=True, allow_unused=True)
            for input_index, grad in enumerate(grads):
                if grad is not None:
                    jacobians[input_index][output_index][element] = numpy.asarray(grad.cpu()).reshape(-1)
    return jacobians


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_backward_ad=True, fast_mode=False, masked=None):
    """True when the gradients of ``func`` at ``inputs`` match finite differences."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    differentiable = _differentiable_inputs(inputs)
    if not differentiable:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them "
                         "have requires_grad=True.")
    for tensor in differentiable:
        if tensor.dtype.name != "float64":
            import warnings
            warnings.warn(f"Input #{inputs.index(tensor)} requires gradient and is not a double precision floating "
                          "point. This check will likely fail if all the inputs are not of double precision "
                          "floating point.", stacklevel=2)
    numerical = _numerical_jacobians(func, inputs, differentiable, eps)
    analytic = _analytic_jacobians(func, inputs, differentiable)
    for input_index, (numerical_row, analytic_row) in enumerate(zip(numerical, analytic)):
        for output_index, (expected, actual) in enumerate(zip(numerical_row, analytic_row)):
            if not numpy.allclose(actual, expected, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {output_index} with respect to input {input_index},\n"
                    f"numerical:{expected}\nanalytical:{actual}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """True when the second derivatives of ``func`` match finite differences of its first derivatives."""
    from minitorch import autograd
    from minitorch import creation
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    outputs = _outputs_of(func, inputs)
    if grad_outputs is None:
        generator = numpy.random.default_rng(0)
        grad_outputs = [creation.tensor(generator.standard_normal(output.shape), dtype=output.dtype,
                                        device=output.device, requires_grad=True) for output in outputs]
    else:
        grad_outputs = list(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else [grad_outputs]
    count = len(inputs)

    def first_derivatives(*inputs_and_grad_outputs):
        call_inputs = inputs_and_grad_outputs[:count]
        seeds = inputs_and_grad_outputs[count:]
        call_outputs = _outputs_of(func, call_inputs)
        wrt = _differentiable_inputs(call_inputs)
        grads = autograd.grad(call_outputs, wrt, seeds, create_graph=True, allow_unused=True)
        return tuple(grad for grad in grads if grad is not None)

    return gradcheck(first_derivatives, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
