"""Convolutions, transposed convolutions, unfold/fold and padding against PyTorch: the layers with
drawn sizes and options (outputs, input and parameter gradients), the functions, the im2col/col2im
and padding primitives' numerical first and second derivatives, double backward, state_dict
layouts, reprs, default initialisation and errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from minitorch.ops.conv import (ConstantPad, Convolution, ConvolutionWeightGrad, Fold, TransposedConvolution,
                                Unfold, Window)
from helpers import (assert_same_state_dict, check_against_torch, check_double_backward_against_torch,
                     check_gradcheck, check_module_against_torch, check_program)
from strategies import FLOAT_DTYPES, arrays

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _as_dtype(module, dtype):
    return module.double() if dtype == np.float64 else module


# -------------------------------------------------------------------------------------------------
# Drawn layer configurations
# -------------------------------------------------------------------------------------------------

@st.composite
def conv_cases(draw, dims: int, transposed: bool):
    """(constructor args, kwargs, input shape) of a Conv{dims}d or ConvTranspose{dims}d layer whose
    options all fit the input: groups dividing the channels, a kernel that fits the padded input,
    output_padding below the stride or the dilation."""
    per_dim = st.lists(st.integers(1, 3), min_size=dims, max_size=dims).map(tuple)
    groups = draw(st.integers(1, 3))
    in_channels, out_channels = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel_size, stride = draw(per_dim), draw(per_dim)
    dilation = draw(st.lists(st.integers(1, 2), min_size=dims, max_size=dims).map(tuple))
    spans = [d * (k - 1) + 1 for d, k in zip(dilation, kernel_size)]
    kwargs = dict(stride=stride, dilation=dilation, groups=groups, bias=draw(st.booleans()))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(dims))
    if transposed:
        kwargs["output_padding"] = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        sides = padding
    else:
        kind = draw(st.sampled_from(["int", "tuple", "same", "valid"] if set(stride) == {1} else
                                    ["int", "tuple", "valid"]))
        padding = {"int": padding[0], "tuple": padding, "same": "same", "valid": "valid"}[kind]
        kwargs["padding_mode"] = draw(st.sampled_from(PADDING_MODES))
        sides = {"int": (padding,) * dims, "tuple": padding, "valid": (0,) * dims,
                 "same": tuple(span // 2 for span in spans)}[kind]
    kwargs["padding"] = padding
    # the padded input must hold the dilated kernel; reflect padding needs more input than padding
    smallest = [max(span - 2 * side, side + 1, 1) for span, side in zip(spans, sides)]
    if transposed:  # the output must not be empty either
        smallest = [max(1, (2 * side - span + stride_ + 1) // stride_ + 1) for span, side, stride_ in
                    zip(spans, sides, stride)]
    size = tuple(low + draw(st.integers(0, 3)) for low in smallest)
    return (in_channels, out_channels, kernel_size), kwargs, (draw(st.integers(1, 3)), in_channels) + size


LAYERS = [(f"{'ConvTranspose' if transposed else 'Conv'}{dims}d", dims, transposed)
          for transposed in (False, True) for dims in (1, 2, 3)]


@pytest.mark.parametrize("name, dims, transposed", LAYERS)
@given(data=st.data(), dtype=FLOAT_DTYPES)
def test_conv_layer_matches_torch_with_drawn_options(name, dims, transposed, data, dtype):
    """Output, input gradient and weight/bias gradients equal PyTorch's for drawn channels, groups,
    kernel, stride, padding (int, tuple, 'same', 'valid', every padding mode), dilation and output_padding."""
    args, kwargs, shape = data.draw(conv_cases(dims, transposed))
    module = _as_dtype(getattr(minitorch.nn, name)(*args, **kwargs), dtype)
    reference = _as_dtype(getattr(torch.nn, name)(*args, **kwargs), dtype)
    check_module_against_torch(module, reference, data.draw(arrays(shape, dtype)))


@pytest.mark.parametrize("name, dims, transposed", [layer for layer in LAYERS if layer[1] < 3])
@given(data=st.data())
def test_conv_layer_takes_an_unbatched_input_like_torch(name, dims, transposed, data):
    args, kwargs, shape = data.draw(conv_cases(dims, transposed))
    module, reference = getattr(minitorch.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    check_module_against_torch(module, reference, data.draw(arrays(shape[1:], np.float32)))


@pytest.mark.parametrize("output_size", [[9, 10], [1, 4, 8, 9], [8, 10]])
def test_conv_transpose_output_size_picks_the_output_padding_like_torch(output_size):
    torch.manual_seed(0)
    reference = torch.nn.ConvTranspose2d(4, 2, 3, stride=(2, 3), padding=1)
    module = minitorch.nn.ConvTranspose2d(4, 2, 3, stride=(2, 3), padding=1)
    x = np.random.default_rng(0).standard_normal((1, 4, 5, 4)).astype(np.float32)
    check_module_against_torch(module, reference, x)  # copies the weights
    check_program(lambda lib, x: (module if lib is minitorch else reference)(lib.tensor(x), output_size), x)


# -------------------------------------------------------------------------------------------------
# The functions
# -------------------------------------------------------------------------------------------------

@given(data=st.data(), dtype=FLOAT_DTYPES)
def test_conv2d_function_matches_torch_with_and_without_bias(data, dtype):
    (in_channels, out_channels, kernel_size), kwargs, shape = data.draw(conv_cases(2, False))
    options = dict(stride=kwargs["stride"], padding=kwargs["padding"], dilation=kwargs["dilation"],
                   groups=kwargs["groups"])
    weight = data.draw(arrays((out_channels, in_channels // kwargs["groups"]) + kernel_size, dtype))
    bias = data.draw(arrays((out_channels,), dtype)) if kwargs["bias"] else None
    check_against_torch(lambda x, w, b: minitorch.nn.functional.conv2d(x, w, b, **options),
                        lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **options),
                        data.draw(arrays(shape, dtype)), weight, bias)


BLOCKS = st.tuples(st.integers(1, 3), st.integers(1, 3))


@given(data=st.data(), kernel_size=BLOCKS, dilation=BLOCKS, padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       stride=BLOCKS, batched=st.booleans())
def test_unfold_and_fold_match_torch(data, kernel_size, dilation, padding, stride, batched):
    """unfold (im2col) and fold (col2im) with drawn blocks, batched and unbatched, and their gradients."""
    options = dict(kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride)
    size = tuple(max(d * (k - 1) + 1 - 2 * p, 1) + data.draw(st.integers(0, 3))
                 for k, d, p in zip(kernel_size, dilation, padding))
    image = data.draw(arrays(((2,) if batched else ()) + (3,) + size))
    columns = check_against_torch(lambda x: minitorch.nn.functional.unfold(x, **options),
                                  lambda x: torch.nn.functional.unfold(x, **options), image)
    check_against_torch(lambda c: minitorch.nn.functional.fold(c, size, **options),
                        lambda c: torch.nn.functional.fold(c, size, **options),
                        data.draw(arrays(tuple(columns.shape))))


PAD_MODES = ("constant", "reflect", "replicate", "circular")


@given(data=st.data(), mode=st.sampled_from(PAD_MODES), padded_dims=st.integers(1, 3), dtype=FLOAT_DTYPES)
def test_pad_matches_torch_in_every_mode(data, mode, padded_dims, dtype):
    """F.pad with drawn (before, after) pairs from the last dimension backwards, negative ones cropping."""
    shape = tuple(data.draw(st.lists(st.integers(2, 4), min_size=padded_dims + 1, max_size=padded_dims + 2)))
    pads = []
    for size in reversed(shape[len(shape) - padded_dims:]):
        # (circular: PyTorch's gradient is wrong where the wrap is longer than the cropped size)
        low, high = (-1, size - 1) if mode in ("reflect", "circular") else (-2, 3)
        before = data.draw(st.integers(low, high))
        pads += [before, data.draw(st.integers(max(low, 1 - size - before), high))]  # keep one element
    value = data.draw(st.sampled_from([None, 1.5])) if mode == "constant" else None
    check_against_torch(lambda x: minitorch.nn.functional.pad(x, pads, mode=mode, value=value),
                        lambda x: torch.nn.functional.pad(x, pads, mode=mode, value=value),
                        data.draw(arrays(shape, dtype)))


PADDING_LAYERS = {f"{kind}{dims}d": dims for kind in ("ConstantPad", "ZeroPad", "ReflectionPad", "ReplicationPad",
                                                      "CircularPad") for dims in (1, 2, 3)}


@pytest.mark.parametrize("name", PADDING_LAYERS)
@given(data=st.data(), as_int=st.booleans())
def test_padding_layer_matches_torch(name, data, as_int):
    dims = PADDING_LAYERS[name]
    padding = 1 if as_int else tuple(data.draw(st.integers(0, 1)) for _ in range(2 * dims))
    args = (padding, 2.5) if name.startswith("Constant") else (padding,)
    module, reference = getattr(minitorch.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(module) == repr(reference)
    shape = (2,) * data.draw(st.integers(1, 2)) + tuple(data.draw(st.integers(2, 3)) for _ in range(dims))
    check_module_against_torch(module, reference, data.draw(arrays(shape)))


# -------------------------------------------------------------------------------------------------
# Numerical derivatives of the primitives, and second derivatives against torch
# -------------------------------------------------------------------------------------------------

WINDOW = Window(kernel_size=(2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2), input_size=(4, 6),
                output_size=(3, 2))
PRIMITIVES = {
    "unfold": (lambda x: Unfold.apply(x, WINDOW), (2, 2, 4, 6)),
    "fold": (lambda columns: Fold.apply(columns, WINDOW), (2, 2, 2, 3, 3, 2)),
    "constant_pad": (lambda x: ConstantPad.apply(x, ((0, 0), (1, -1), (2, 0)), 0.5), (2, 3, 3)),
    "reflect_pad": (lambda x: minitorch.nn.functional.pad(x, (2, 1, 1, 0), mode="reflect"), (2, 3, 4)),
    "conv2d": (lambda x, w: minitorch.nn.functional.conv2d(x, w, stride=(1, 2), padding=1, groups=2),
               (2, 4, 3, 4), (2, 2, 2, 2)),
    "conv_transpose2d": (lambda x, w: minitorch.nn.functional.conv_transpose2d(
        x, w, stride=2, padding=(1, 0), output_padding=1, dilation=(1, 2)), (1, 2, 3, 2), (2, 3, 2, 2)),
    "convolution_weight_grad": (lambda x, y: ConvolutionWeightGrad.apply(x, y, WINDOW, 2), (2, 4, 4, 6),
                                (2, 2, 3, 2)),
}


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive_gradients_match_finite_differences(name):
    function, *shapes = PRIMITIVES[name]
    rng = np.random.default_rng(0)
    check_gradcheck(function, *[rng.standard_normal(shape) for shape in shapes])


DOUBLE_BACKWARD = {
    "conv2d_strided": (lambda F, x, w, b: F.conv2d(x, w, b, stride=2, padding=1), (2, 3, 5, 5), (4, 3, 3, 3), (4,)),
    "conv2d_grouped_dilated": (lambda F, x, w, b: F.conv2d(x, w, b, padding="same", dilation=2, groups=2),
                               (1, 4, 5, 4), (2, 2, 2, 3), (2,)),
    "conv_transpose2d": (lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, output_padding=1),
                         (2, 3, 3, 3), (3, 2, 3, 3), (2,)),
}


@pytest.mark.parametrize("name", DOUBLE_BACKWARD)
def test_second_derivatives_match_torch(name):
    function, *shapes = DOUBLE_BACKWARD[name]
    rng = np.random.default_rng(1)
    check_double_backward_against_torch(lambda x, w, b: function(minitorch.nn.functional, x, w, b),
                                        lambda x, w, b: function(torch.nn.functional, x, w, b),
                                        *[rng.standard_normal(shape) for shape in shapes])


# -------------------------------------------------------------------------------------------------
# The three convolution primitives: adjoint to each other, and equal to the composite they fuse
# -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("groups", [1, 2])
def test_convolution_primitives_are_the_three_faces_of_one_bilinear_map(groups):
    """<conv(x, w), y> = <x, conv_transpose(y, w)> = <w, weight_grad(x, y)>: each is the other's adjoint."""
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((2, 4, 4, 6)), rng.standard_normal((2, 2, 3, 2))
    weight = rng.standard_normal((2, 4 // groups, 2, 3))
    x_, y_, weight_ = (minitorch.tensor(a) for a in (x, y, weight))
    output = Convolution.apply(x_, weight_, None, WINDOW, groups).numpy()
    image = TransposedConvolution.apply(y_, weight_, None, WINDOW, groups).numpy()
    weight_gradient = ConvolutionWeightGrad.apply(x_, y_, WINDOW, groups).numpy()
    assert (output.shape, image.shape, weight_gradient.shape) == (y.shape, x.shape, weight.shape)
    expected = (output * y).sum()
    assert (image * x).sum() == pytest.approx(expected) and (weight_gradient * weight).sum() == pytest.approx(expected)


def composite_conv2d(x, weight, bias, window, groups):
    """weight @ unfold(x) + bias from Unfold, matmul and add: what ``Convolution`` fuses."""
    batch, out_channels = x.shape[0], weight.shape[0]
    columns = Unfold.apply(x, window).reshape(batch, groups, -1, math.prod(window.output_size))
    output = weight.reshape(groups, out_channels // groups, -1) @ columns
    return output.reshape(batch, out_channels, *window.output_size) + bias.reshape(-1, 1, 1)


@pytest.mark.parametrize("groups", [1, 2])
def test_fused_convolution_matches_the_composite_in_values_and_gradients(groups):
    rng = np.random.default_rng(3)
    x, weight, bias = (minitorch.tensor(rng.standard_normal(shape), requires_grad=True)
                       for shape in ((2, 4, 4, 6), (2, 4 // groups, 2, 3), (2,)))
    upstream = minitorch.tensor(rng.standard_normal((2, 2, 3, 2)))
    results = []
    for convolve in (Convolution.apply, composite_conv2d):
        output = convolve(x, weight, bias, WINDOW, groups)
        results.append([output] + list(minitorch.autograd.grad(output, [x, weight, bias], upstream)))
    for fused, composite in zip(*results):
        np.testing.assert_allclose(fused.detach().numpy(), composite.detach().numpy(), rtol=1e-9, atol=1e-10)


# -------------------------------------------------------------------------------------------------
# Layout, repr, initialisation
# -------------------------------------------------------------------------------------------------

CONSTRUCTIONS = {
    "conv2d": ("Conv2d", (3, 32, 3), dict(padding=1)),
    "conv2d_options": ("Conv2d", (4, 6, (3, 2)), dict(stride=2, dilation=(2, 1), groups=2, bias=False)),
    "conv2d_same_reflect": ("Conv2d", (4, 4, 4), dict(padding="same", padding_mode="reflect")),
    "conv2d_valid": ("Conv2d", (4, 4, 3), dict(padding="valid")),
    "conv1d": ("Conv1d", (2, 5, 4), dict(padding=2, padding_mode="circular")),
    "conv3d": ("Conv3d", (2, 4, 3), dict(stride=(1, 2, 1))),
    "conv_transpose1d": ("ConvTranspose1d", (4, 6, 3), dict(groups=2)),
    "conv_transpose2d": ("ConvTranspose2d", (4, 4, 3), dict(stride=2, output_padding=1, padding=1)),
    "conv_transpose3d": ("ConvTranspose3d", (2, 2, 2), dict(bias=False, dilation=2)),
}


@pytest.mark.parametrize("case", CONSTRUCTIONS)
def test_conv_layer_state_dict_and_repr_equal_torch(case):
    name, args, kwargs = CONSTRUCTIONS[case]
    module, reference = getattr(minitorch.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert_same_state_dict(module, reference)
    assert repr(module) == repr(reference)
    for attribute in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "transposed",
                      "output_padding", "groups", "padding_mode", "_reversed_padding_repeated_twice"):
        assert getattr(module, attribute) == getattr(reference, attribute), attribute


@pytest.mark.parametrize("case", ["conv2d", "conv_transpose1d"])
def test_conv_layer_initialisation_is_uniform_within_one_over_sqrt_fan_in(case):
    """kaiming_uniform_(a=sqrt(5)) on the weight and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) on the bias."""
    name, args, kwargs = CONSTRUCTIONS[case]
    minitorch.manual_seed(0)
    module = getattr(minitorch.nn, name)(*args, **kwargs)
    bound = 1 / math.sqrt(module.weight.shape[1] * math.prod(module.kernel_size))
    weight, bias = module.weight.detach().numpy(), module.bias.detach().numpy()
    assert max(np.abs(weight).max(), np.abs(bias).max()) <= bound
    assert weight.std() == pytest.approx(bound / math.sqrt(3), rel=0.2)  # the uniform's deviation


# -------------------------------------------------------------------------------------------------
# Errors: same exception type (and message opening) as PyTorch
# -------------------------------------------------------------------------------------------------

def _conv2d(lib, input_shape, weight_shape, bias_shape=None, **options):
    bias = lib.zeros(bias_shape) if bias_shape else None
    return lib.nn.functional.conv2d(lib.zeros(input_shape), lib.zeros(weight_shape), bias, **options)


def _conv_transpose2d(lib, input_shape, weight_shape, **options):
    return lib.nn.functional.conv_transpose2d(lib.zeros(input_shape), lib.zeros(weight_shape), **options)


ERRORS = {
    "wrong_input_channels": lambda lib: _conv2d(lib, (8, 4, 32, 32), (32, 3, 3, 3)),
    "kernel_bigger_than_padded_input": lambda lib: _conv2d(lib, (1, 3, 2, 2), (4, 3, 3, 3)),
    "input_of_two_dims": lambda lib: _conv2d(lib, (3, 2), (4, 3, 3, 3)),
    "input_of_five_dims": lambda lib: _conv2d(lib, (1, 2, 3, 3, 3), (4, 3, 3, 3)),
    "conv1d_of_four_dims": lambda lib: lib.nn.functional.conv1d(lib.zeros(2, 4, 5, 5), lib.zeros(4, 8, 3)),
    "groups_not_dividing_weight": lambda lib: _conv2d(lib, (1, 6, 5, 5), (3, 3, 3, 3), groups=2),
    "bias_of_wrong_size": lambda lib: _conv2d(lib, (1, 3, 5, 5), (4, 3, 3, 3), (5,)),
    "same_padding_with_stride": lambda lib: _conv2d(lib, (1, 3, 5, 5), (4, 3, 3, 3), stride=2, padding="same"),
    "unknown_padding_string": lambda lib: _conv2d(lib, (1, 3, 5, 5), (4, 3, 3, 3), padding="full"),
    "negative_padding": lambda lib: _conv2d(lib, (1, 3, 5, 5), (4, 3, 3, 3), padding=-1),
    "zero_stride": lambda lib: _conv2d(lib, (1, 3, 5, 5), (4, 3, 3, 3), stride=0),
    "zero_dilation": lambda lib: _conv2d(lib, (1, 3, 5, 5), (4, 3, 3, 3), dilation=0),
    "stride_of_three_values": lambda lib: _conv2d(lib, (1, 3, 5, 5), (4, 3, 3, 3), stride=(1, 1, 1)),
    "zero_groups": lambda lib: _conv2d(lib, (1, 3, 5, 5), (4, 3, 3, 3), groups=0),
    "input_and_weight_dtypes_differ": lambda lib: lib.nn.functional.conv2d(
        lib.zeros(1, 3, 5, 5), lib.zeros(4, 3, 3, 3, dtype=lib.float64)),
    "transposed_wrong_input_channels": lambda lib: _conv_transpose2d(lib, (2, 3, 5, 5), (4, 8, 3, 3)),
    "output_padding_not_below_stride": lambda lib: _conv_transpose2d(lib, (2, 4, 5, 5), (4, 8, 3, 3),
                                                                      stride=2, output_padding=2),
    "transposed_output_too_small": lambda lib: _conv_transpose2d(lib, (1, 4, 1, 1), (4, 3, 3, 3), padding=2),
    "layer_in_channels_not_divisible": lambda lib: lib.nn.Conv2d(3, 4, 3, groups=2),
    "layer_out_channels_not_divisible": lambda lib: lib.nn.Conv2d(4, 3, 3, groups=2),
    "layer_same_padding_with_stride": lambda lib: lib.nn.Conv2d(4, 4, 3, padding="same", stride=2),
    "layer_transposed_reflect_padding": lambda lib: lib.nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
    "layer_unknown_padding_string": lambda lib: lib.nn.Conv2d(4, 4, 3, padding="full"),
    "layer_unknown_padding_mode": lambda lib: lib.nn.Conv2d(4, 4, 3, padding_mode="mirror"),
    "layer_transposed_impossible_output_size": lambda lib: lib.nn.ConvTranspose2d(2, 2, 3, stride=2)(
        lib.zeros(1, 2, 4, 4), output_size=(12, 12)),
    "unfold_of_two_dims": lambda lib: lib.nn.functional.unfold(lib.zeros(3, 4), 2),
    "unfold_of_five_dims": lambda lib: lib.nn.functional.unfold(lib.zeros(1, 2, 3, 4, 5), 2),
    "fold_of_four_dims": lambda lib: lib.nn.functional.fold(lib.zeros(1, 2, 3, 4), (3, 3), 2),
    "unfold_kernel_too_big": lambda lib: lib.nn.functional.unfold(lib.zeros(2, 3, 4, 4), 5),
    "fold_channels_not_divisible": lambda lib: lib.nn.functional.fold(lib.zeros(2, 28, 4), (4, 4), 3),
    "pad_of_odd_length": lambda lib: lib.nn.functional.pad(lib.zeros(2, 3), (1,)),
    "pad_longer_than_the_input": lambda lib: lib.nn.functional.pad(lib.zeros(2, 3), (1,) * 6),
    "reflect_pad_as_big_as_the_input": lambda lib: lib.nn.functional.pad(lib.zeros(2, 3, 4), (4, 4), "reflect"),
    "circular_pad_wrapping_twice": lambda lib: lib.nn.functional.pad(lib.zeros(2, 3, 4), (5, 4), "circular"),
    "reflect_pad_of_a_vector": lambda lib: lib.nn.functional.pad(lib.zeros(4), (1, 1), "reflect"),
    "unknown_pad_mode": lambda lib: lib.nn.functional.pad(lib.zeros(2, 3, 4), (1, 1), "mirror"),
    "reflect_pad_with_a_value": lambda lib: lib.nn.functional.pad(lib.zeros(2, 3, 4), (1, 1), "reflect", 1.0),
    "circular_pad_layer_of_five_dims": lambda lib: lib.nn.CircularPad2d(1)(lib.zeros(2, 3, 4, 5, 6)),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_match_torch(case):
    error = check_program(ERRORS[case])
    assert error is not None, "torch raises no error here: the case tests nothing"
