"""Recurrent layers: RNN, LSTM, GRU and their cells, as ``torch.nn``'s.

A layer holds PyTorch's parameters (``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
``bias_hh_l{k}``, ``weight_hr_l{k}`` with projections, ``_reverse`` for the second direction),
so a state_dict moves between the two libraries. ``forward`` brings every input to one form, a
packed sequence (a padded batch is one whose sequences all have the same length), runs each
layer and direction as one fused node (``ops/recurrent.py``), and gives the result back in the
form it came in. The cells compute one step with Tensor ops.
"""
from __future__ import annotations

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

import math
import numbers
import warnings

import minitorch
from minitorch.nn import functional as F, init
from minitorch.nn.modules.module import Module
from minitorch.nn.parameter import Parameter
from minitorch.nn.utils.rnn import PackedSequence
from minitorch.ops import recurrent

_GATE_COUNTS = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _uniform_parameters(module: Module, hidden_size: int) -> None:
    """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch does."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


def _apply_permutation(tensor, permutation, dim: int = 1):
    return tensor.index_select(dim, permutation)


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters, the checks, and the loop over layers and directions."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        _check_arguments(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        if mode not in _GATE_COUNTS:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATE_COUNTS[mode] * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
            for direction in range(num_directions):
                shapes = {"weight_ih": (gate_size, layer_input_size), "weight_hh": (gate_size, real_hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                names = [kind + suffix for kind in shapes]
                for name, shape in zip(names, shapes.values()):
                    setattr(self, name, Parameter(minitorch.empty(*shape, device=device, dtype=dtype)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _uniform_parameters(self, self.hidden_size)

    def flatten_parameters(self) -> None:
        """Nothing to do: PyTorch packs the weights into one buffer for cuDNN here."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    # -- PyTorch's checks ---------------------------------------------------------------------

    def check_input(self, input, batch_sizes) -> None:
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                             f"Convert input: input.to({weight_dtype}), or convert model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{input.size(-1)}")

    def _expected_size(self, input, batch_sizes, size: int) -> tuple:
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        return (self.num_layers * (2 if self.bidirectional else 1), mini_batch, size)

    def get_expected_hidden_size(self, input, batch_sizes) -> tuple:
        return self._expected_size(input, batch_sizes, self.proj_size if self.proj_size > 0 else self.hidden_size)

    def check_hidden_size(self, hx, expected_hidden_size, msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx, permutation)

    # -- forward ------------------------------------------------------------------------------

    def _zero_state(self, input, batch: int):
        """The initial state when none is given: zeros (a pair of them for LSTM)."""
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return minitorch.zeros(self.num_layers * (2 if self.bidirectional else 1), batch, size,
                               dtype=input.dtype, device=input.device)

    def _check_state_dims(self, hx, batched: bool) -> None:
        if hx.dim() != (3 if batched else 2):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(f"For {kind} input, hx should also be {3 if batched else 2}-D but got {hx.dim()}-D "
                               "tensor")

    def _unsqueeze_state(self, hx):
        return hx.unsqueeze(1)

    def forward(self, input, hx=None):
        """``(output, h_n)`` for a batch ``(L, N, H_in)`` (``(N, L, H_in)`` with ``batch_first``), one
        sequence ``(L, H_in)``, or a ``PackedSequence`` (then ``output`` is one too)."""
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            batch_sizes = batch_sizes.tolist()
            hx = self._zero_state(data, batch_sizes[0]) if hx is None else self.permute_hidden(hx, sorted_indices)
            self.check_forward_args(data, hx, batch_sizes)
            output, hidden = self._run(data, batch_sizes, hx)
            return (PackedSequence(output, input.batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden(hidden, unsorted_indices))
        if input.dim() not in (2, 3):
            raise ValueError(self._input_dims_message(input.dim()))
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
        if hx is not None:
            self._check_state_dims(hx, batched)
            if not batched:
                hx = self._unsqueeze_state(hx)
        else:
            hx = self._zero_state(input, input.size(batch_dim))
        self.check_forward_args(input, hx, None)
        if input.size(1 - batch_dim) == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        time_major = input.transpose(0, 1) if self.batch_first else input
        steps, batch = time_major.shape[:2]
        output, hidden = self._run(time_major.reshape(steps * batch, self.input_size), (batch,) * steps, hx)
        output = output.reshape(steps, batch, output.shape[-1])
        if self.batch_first:
            output = output.transpose(0, 1)
        if not batched:
            output = output.squeeze(batch_dim)
            hidden = tuple(state.squeeze(1) for state in hidden) if isinstance(hidden, tuple) else hidden.squeeze(1)
        return output, hidden

    def _input_dims_message(self, dims: int) -> str:
        name = "RNN" if self.mode.startswith("RNN") else self.mode
        return f"{name}: Expected input to be 2D or 3D, got {dims}D" + (" tensor instead" if name == "RNN" else
                                                                        " instead")

    def _run(self, data, batch_sizes, hx):
        """Every layer and direction over packed ``data``: the last layer's output and the final states."""
        states = [state.unbind(0) for state in (hx if isinstance(hx, tuple) else (hx,))]
        num_directions = 2 if self.bidirectional else 1
        finals = [[] for _ in states]
        layer_input = data
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                index = layer * num_directions + direction
                h0, c0 = states[0][index], (states[1][index] if len(states) == 2 else None)
                result = recurrent.layer(self.mode, batch_sizes, direction == 1, layer_input, h0, c0,
                                         *self._layer_weights(layer, direction))
                outputs.append(result[0])
                for final, state in zip(finals, result[1:]):
                    final.append(state)
            layer_input = minitorch.cat(outputs, 1) if num_directions == 2 else outputs[0]
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        hidden = tuple(minitorch.stack(final, 0) for final in finals)
        return layer_input, (hidden if len(hidden) == 2 else hidden[0])

    def _layer_weights(self, layer: int, direction: int) -> tuple:
        """(w_ih, w_hh, b_ih, b_hh, w_hr) of one layer and direction; None for those it lacks."""
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        return (getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix),
                getattr(self, "bias_ih" + suffix) if self.bias else None,
                getattr(self, "bias_hh" + suffix) if self.bias else None,
                getattr(self, "weight_hr" + suffix) if self.proj_size > 0 else None)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)


def _check_arguments(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size) -> None:
    """PyTorch's checks of RNNBase's constructor arguments, in its order."""
    if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
        raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                         "being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                      f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                      stacklevel=4)
    for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                              ("input_size", input_size, int), ("hidden_size", hidden_size, int)):
        if not isinstance(value, kind):
            raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
        if kind is int and value <= 0:
            raise ValueError(f"{name} must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


def _no_projection(kwargs) -> None:
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), layer by layer."""

    def __init__(self, *args, **kwargs):
        _no_projection(kwargs)
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory; the state is the pair (h, c), h projected to ``proj_size`` when given."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes) -> tuple:
        return self._expected_size(input, batch_sizes, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx[0], permutation), _apply_permutation(hx[1], permutation)

    def _zero_state(self, input, batch: int):
        cell = minitorch.zeros(self.num_layers * (2 if self.bidirectional else 1), batch, self.hidden_size,
                               dtype=input.dtype, device=input.device)
        return super()._zero_state(input, batch), cell

    def _check_state_dims(self, hx, batched: bool) -> None:
        expected = 3 if batched else 2
        if hx[0].dim() != expected or hx[1].dim() != expected:
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(f"For {kind} input, hx and cx should also be {expected}-D but got "
                               f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")

    def _unsqueeze_state(self, hx):
        return hx[0].unsqueeze(1), hx[1].unsqueeze(1)


class GRU(RNNBase):
    """Gated recurrent unit: gates r, z and candidate n, h_t = (1 - z) n + z h_{t-1}."""

    def __init__(self, *args, **kwargs):
        _no_projection(kwargs)
        super().__init__("GRU", *args, **kwargs)


# ---------------------------------------------------------------------------------------------
# Cells: one time step
# ---------------------------------------------------------------------------------------------

class RNNCellBase(Module):
    """What the cells share: ``weight_ih``, ``weight_hh`` (``num_chunks`` gates each) and the biases."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(minitorch.empty(num_chunks * hidden_size, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(minitorch.empty(num_chunks * hidden_size, hidden_size, device=device,
                                                   dtype=dtype))
        if bias:
            self.bias_ih = Parameter(minitorch.empty(num_chunks * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(minitorch.empty(num_chunks * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        _uniform_parameters(self, self.hidden_size)

    def _step(self, cell, input, states, names):
        """Run ``cell`` on a batch or on one sample (1-D input and states), zeros for missing states."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for state, state_name in zip(states or (), names):
            if state.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected {state_name} to be 1D or 2D, got {state.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if states is None:
            zeros = minitorch.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
            states = (zeros,) * len(names)
        elif not batched:
            states = tuple(state.unsqueeze(0) for state in states)
        result = cell(input, states if len(names) == 2 else states[0], self.weight_ih, self.weight_hh,
                      self.bias_ih, self.bias_hh)
        if not batched:
            result = tuple(state.squeeze(0) for state in result) if isinstance(result, tuple) else result.squeeze(0)
        return result


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        cells = {"tanh": recurrent.rnn_tanh_cell, "relu": recurrent.rnn_relu_cell}
        if self.nonlinearity not in cells:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._step(cells[self.nonlinearity], input, None if hx is None else (hx,), ("hidden",))


class LSTMCell(RNNCellBase):
    """(h', c') from input and (h, c); gates i, f, g, o."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step(recurrent.lstm_cell, input, None if hx is None else tuple(hx), ("hx[0]", "hx[1]"))


class GRUCell(RNNCellBase):
    """h' from input and h; gates r, z, n."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step(recurrent.gru_cell, input, None if hx is None else (hx,), ("hidden",))
