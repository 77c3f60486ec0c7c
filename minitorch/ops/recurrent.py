"""RNN, LSTM and GRU over a whole sequence as fused primitives with backpropagation through time.

Two ways to compute the same recurrence live here, side by side:

- the cells (``rnn_tanh_cell``, ``lstm_cell``, ``gru_cell`` ...), one time step written with
  Tensor ops, as ``torch.rnn_tanh_cell`` and friends; ``RNNCell`` & co. are these, and a loop of
  them over time (``recurrence``) is the textbook layer, differentiable to any order;
- ``Recurrence`` and its subclasses (``RNNTanh``, ``RNNReLU``, ``LSTM``, ``GRU``): one layer in one
  direction over the whole sequence as ONE primitive, as cuDNN runs it. The input's share of the
  gates at every time step is one big matmul up front; the loop over time does only the
  hidden-to-hidden matmul and the gate arithmetic on arrays, caching what backward needs. Backward
  is explicit backpropagation through time (a reverse loop accumulating the gradients of the
  state), and the weight gradients are again big matmuls over all steps at the end. A graph of
  thousands of small nodes becomes one node.

Sequences are always handed over packed (PyTorch's ``PackedSequence`` layout): ``input`` is
``(sum(batch_sizes), input_size)``, the rows of time step t follow those of step t-1, and
``batch_sizes[t]`` (non-increasing) says how many sequences are still running at step t. A padded
batch is the special case ``batch_sizes = (batch,) * seq_len``. So sequences of different lengths
cost no padding work, and each sequence's final state is its state at its own last step.

The fused backward works on arrays, so by itself it is not differentiable. When a graph of the
gradient is asked for (``create_graph=True``), backward instead runs the sequence again as the
composite ``recurrence`` of cells and differentiates that: double backward works, as on PyTorch's
CPU (cuDNN refuses it).
"""
from __future__ import annotations

# torch.nn.functional has no recurrent functions: nn/modules/rnn.py calls these directly.
__all__ = []

from minitorch import autograd, backend
from minitorch.autograd import grad_mode
from minitorch.autograd.function import Function
from minitorch.ops import shape
from minitorch.tensor import Tensor


# ---------------------------------------------------------------------------------------------
# The cells: one time step with Tensor ops (differentiable to any order)
# ---------------------------------------------------------------------------------------------

def _gates(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih, b_hh) -> tuple[Tensor, Tensor]:
    """The input's and the hidden state's contributions to the gates, biases included."""
    gates_input = input.matmul(w_ih.t())
    gates_hidden = hx.matmul(w_hh.t())
    if b_ih is not None:
        gates_input = gates_input + b_ih
        gates_hidden = gates_hidden + b_hh
    return gates_input, gates_hidden


def _check_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor) -> None:
    """PyTorch's checks of a cell's input and hidden states (``check_rnn_cell_forward_*``)."""
    if input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected {w_ih.shape[1]}")
    for index, state in enumerate(hx):
        if state.shape[0] != input.shape[0]:
            raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{index} batch size "
                               f"{state.shape[0]}")
        if state.shape[1] != w_hh.shape[1]:
            raise RuntimeError(f"hidden{index} has inconsistent hidden_size: got {state.shape[1]}, expected "
                               f"{w_hh.shape[1]}")


def _rnn_tanh_step(input, hx, w_ih, w_hh, b_ih, b_hh) -> Tensor:
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    gates_input, gates_hidden = _gates(input, hx, w_ih, w_hh, b_ih, b_hh)
    return (gates_input + gates_hidden).tanh()


def _rnn_relu_step(input, hx, w_ih, w_hh, b_ih, b_hh) -> Tensor:
    """h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    gates_input, gates_hidden = _gates(input, hx, w_ih, w_hh, b_ih, b_hh)
    return (gates_input + gates_hidden).relu()


def _lstm_step(input, hx, w_ih, w_hh, b_ih, b_hh) -> tuple[Tensor, Tensor]:
    """Gates i, f, g, o (in that order in the weights); c' = f c + i g, h' = o tanh(c')."""
    h, c = hx
    gates_input, gates_hidden = _gates(input, h, w_ih, w_hh, b_ih, b_hh)
    i, f, g, o = (gates_input + gates_hidden).chunk(4, 1)
    c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c_next.tanh(), c_next


def _gru_step(input, hx, w_ih, w_hh, b_ih, b_hh) -> Tensor:
    """Gates r, z, n: n = tanh(x_n + r (h_n + b_hn)), h' = (1 - z) n + z h."""
    gates_input, gates_hidden = _gates(input, hx, w_ih, w_hh, b_ih, b_hh)
    input_r, input_z, input_n = gates_input.chunk(3, 1)
    hidden_r, hidden_z, hidden_n = gates_hidden.chunk(3, 1)
    r = (input_r + hidden_r).sigmoid()
    z = (input_z + hidden_z).sigmoid()
    n = (input_n + r * hidden_n).tanh()
    return n + z * (hx - n)


_STEPS = {"RNN_TANH": _rnn_tanh_step, "RNN_RELU": _rnn_relu_step, "LSTM": _lstm_step, "GRU": _gru_step}


def _cell(mode: str):
    """The public cell of ``mode``: PyTorch's checks, then one step."""
    step = _STEPS[mode]

    def cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
        _check_cell(input, hx if isinstance(hx, tuple) else (hx,), w_ih, w_hh)
        return step(input, hx, w_ih, w_hh, b_ih, b_hh)
    cell.__name__ = cell.__qualname__ = {"RNN_TANH": "rnn_tanh_cell", "RNN_RELU": "rnn_relu_cell",
                                         "LSTM": "lstm_cell", "GRU": "gru_cell"}[mode]
    cell.__doc__ = step.__doc__
    return cell


# As torch.rnn_tanh_cell, torch.rnn_relu_cell, torch.lstm_cell, torch.gru_cell.
rnn_tanh_cell, rnn_relu_cell, lstm_cell, gru_cell = (_cell(mode) for mode in _STEPS)


def recurrence(mode: str, batch_sizes, reverse: bool, input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None,
               w_hr=None):
    """One layer, one direction, as a loop of cells: the composite twin of ``Recurrence``.

    Same arguments and results as ``layer``. The state of the whole batch is carried as one
    tensor; at step t its first ``batch_sizes[t]`` rows are running, the others hold a finished
    sequence's last state (forwards) or a not yet started one's initial state (backwards).
    """
    starts = _step_starts(batch_sizes)
    order = reversed(range(len(batch_sizes))) if reverse else range(len(batch_sizes))
    outputs = [None] * len(batch_sizes)
    for t in order:
        batch = batch_sizes[t]
        step_input = input[starts[t]:starts[t] + batch]
        h = hx[:batch]
        if mode == "LSTM":
            h, c = _lstm_step(step_input, (h, cx[:batch]), w_ih, w_hh, b_ih, b_hh)
            if w_hr is not None:
                h = h.matmul(w_hr.t())
            cx = _update_rows(cx, c)
        else:
            h = _STEPS[mode](step_input, h, w_ih, w_hh, b_ih, b_hh)
        hx = _update_rows(hx, h)
        outputs[t] = h
    output = shape.cat(outputs, 0)
    return (output, hx, cx) if mode == "LSTM" else (output, hx)


def _update_rows(state: Tensor, rows: Tensor) -> Tensor:
    """``state`` with its first rows replaced by ``rows`` (out of place, so differentiable)."""
    if rows.shape[0] == state.shape[0]:
        return rows
    return shape.cat([rows, state[rows.shape[0]:]], 0)


# ---------------------------------------------------------------------------------------------
# The fused primitive: a whole sequence in one node
# ---------------------------------------------------------------------------------------------

def _step_starts(batch_sizes) -> list[int]:
    """The first row of each time step in the packed input."""
    starts, row = [], 0
    for batch in batch_sizes:
        starts.append(row)
        row += batch
    return starts


def _sigmoid(xp, x):
    return 1 / (1 + xp.exp(-x))


class Recurrence(Function):
    """One layer, one direction, over a whole packed sequence; backward is backpropagation through time.

    Subclasses give the cell: ``cache_widths`` (what each step keeps for backward, in multiples of
    the hidden size), ``step`` (one step forward on arrays) and ``step_backward`` (its
    derivative). ``forward`` and ``backward`` here are the loops over time; they reach the cell
    through ``ctx``, which is an instance of the subclass.
    """

    mode = None
    gate_count = 1
    cache_widths = ()

    @staticmethod
    def forward(ctx, batch_sizes, reverse, input, hx, cx, w_ih, w_hh, b_ih, b_hh, w_hr):
        xp = backend.array_module(input)
        hidden_size = w_hh.shape[0] // ctx.gate_count
        starts = _step_starts(batch_sizes)
        order = range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))
        rows_total = input.shape[0]
        # The input's share of the gates, for every time step at once.
        gates_input = input @ w_ih.T
        if b_ih is not None:
            gates_input += b_ih
        h_state = hx.copy()
        c_state = cx.copy() if cx is not None else None
        output = xp.empty((rows_total, hx.shape[1]), dtype=input.dtype)
        h_previous = xp.empty_like(output)     # the state each step started from: for dW_hh
        cache = [xp.empty((rows_total, width * hidden_size), dtype=input.dtype) for width in ctx.cache_widths]
        h_unprojected = xp.empty((rows_total, hidden_size), dtype=input.dtype) if w_hr is not None else None
        for t in order:
            batch = batch_sizes[t]
            rows = slice(starts[t], starts[t] + batch)
            h = h_state[:batch]
            h_previous[rows] = h
            gates_hidden = h @ w_hh.T
            if b_hh is not None:
                gates_hidden += b_hh
            c = c_state[:batch] if c_state is not None else None
            h, c = ctx.step(xp, gates_input[rows], gates_hidden, h, c, [array[rows] for array in cache])
            if w_hr is not None:  # LSTM with projections: the state carried on is h W_hr^T
                h_unprojected[rows] = h
                h = h @ w_hr.T
            output[rows] = h
            h_state[:batch] = h
            if c is not None:
                c_state[:batch] = c
        ctx.batch_sizes, ctx.reverse = batch_sizes, reverse
        ctx.save_for_backward(input, hx, cx, w_ih, w_hh, b_ih, b_hh, w_hr, h_previous, h_unprojected, *cache)
        return (output, h_state, c_state) if c_state is not None else (output, h_state)

    @staticmethod
    def backward(ctx, grad_output, grad_hn, grad_cn=None):
        """Backpropagation through time: the steps in reverse order, carrying d(loss)/d(state)."""
        if grad_mode.is_grad_enabled():  # create_graph=True: differentiate the composite instead
            return _composite_backward(ctx, grad_output, grad_hn, grad_cn)
        saved = [tensor._data if tensor is not None else None for tensor in ctx.saved_tensors]
        # (the initial states and biases are kept for the composite backward only)
        input, _, _, w_ih, w_hh, _, _, w_hr, h_previous, h_unprojected, *cache = saved
        xp = backend.array_module(input)
        batch_sizes = ctx.batch_sizes
        starts = _step_starts(batch_sizes)
        order = range(len(batch_sizes)) if ctx.reverse else range(len(batch_sizes) - 1, -1, -1)
        grad_output = grad_output._data
        grad_gates_input = xp.empty((input.shape[0], w_hh.shape[0]), dtype=input.dtype)
        # The gates' gradients are the same through W_ih and W_hh, except in GRU (its candidate
        # gate scales the hidden state's share by r).
        grad_gates_hidden = xp.empty_like(grad_gates_input) if ctx.mode == "GRU" else grad_gates_input
        grad_projected = xp.empty_like(grad_output) if w_hr is not None else None
        grad_h_state = grad_hn._data.copy()
        grad_c_state = grad_cn._data.copy() if grad_cn is not None else None
        for t in order:
            batch = batch_sizes[t]
            rows = slice(starts[t], starts[t] + batch)
            grad_h = grad_h_state[:batch] + grad_output[rows]
            if w_hr is not None:
                grad_projected[rows] = grad_h
                grad_h = grad_h @ w_hr
            grad_c = grad_c_state[:batch] if grad_c_state is not None else None
            step_cache = [array[rows] for array in cache]
            grad_input_step, grad_hidden_step, grad_h_direct, grad_c = ctx.step_backward(
                xp, grad_h, grad_c, h_previous[rows], step_cache)
            grad_gates_input[rows] = grad_input_step
            grad_gates_hidden[rows] = grad_hidden_step
            grad_h = grad_hidden_step @ w_hh
            if grad_h_direct is not None:
                grad_h += grad_h_direct
            grad_h_state[:batch] = grad_h
            if grad_c is not None:
                grad_c_state[:batch] = grad_c
        # The weights' gradients: one matmul over all time steps each.
        needs = ctx.needs_input_grad
        wrap = Tensor._wrap
        grads = [
            wrap(grad_gates_input @ w_ih) if needs[2] else None,
            wrap(grad_h_state) if needs[3] else None,
            wrap(grad_c_state) if needs[4] else None,
            wrap(grad_gates_input.T @ input) if needs[5] else None,
            wrap(grad_gates_hidden.T @ h_previous) if needs[6] else None,
            wrap(grad_gates_input.sum(0)) if needs[7] else None,
            wrap(grad_gates_hidden.sum(0)) if needs[8] else None,
            wrap(grad_projected.T @ h_unprojected) if needs[9] else None,
        ]
        return (None, None, *grads)


def _composite_backward(ctx, grad_output, grad_hn, grad_cn):
    """Backward that builds a graph: the gradients of the composite ``recurrence`` on the same inputs."""
    arguments = ctx.saved_tensors[:8]
    needs = ctx.needs_input_grad[2:]
    wanted = [tensor for tensor, needed in zip(arguments, needs) if needed]
    outputs = recurrence(ctx.mode, ctx.batch_sizes, ctx.reverse, *arguments)
    grad_outputs = (grad_output, grad_hn, grad_cn)[:len(outputs)]
    grads = iter(autograd.grad(outputs, wanted, grad_outputs, create_graph=True, allow_unused=True))
    return (None, None, *[next(grads) if needed else None for needed in needs])


class RNNTanh(Recurrence):
    """h' = tanh(a), a = x W_ih^T + h W_hh^T + biases; da = dh' (1 - h'^2)."""

    mode = "RNN_TANH"
    cache_widths = (1,)  # h'

    @staticmethod
    def step(xp, gates_input, gates_hidden, h, c, cache):
        h_next, = cache
        h_next[...] = xp.tanh(gates_input + gates_hidden)
        return h_next, None

    @staticmethod
    def step_backward(xp, grad_h, grad_c, h_previous, cache):
        h_next, = cache
        grad_gates = grad_h * (1 - h_next * h_next)
        return grad_gates, grad_gates, None, None


class RNNReLU(Recurrence):
    """h' = relu(a); da = dh' [a > 0]."""

    mode = "RNN_RELU"
    cache_widths = (1,)  # h'

    @staticmethod
    def step(xp, gates_input, gates_hidden, h, c, cache):
        h_next, = cache
        xp.maximum(gates_input + gates_hidden, 0, out=h_next)
        return h_next, None

    @staticmethod
    def step_backward(xp, grad_h, grad_c, h_previous, cache):
        h_next, = cache
        grad_gates = grad_h * (h_next > 0)
        return grad_gates, grad_gates, None, None


class LSTM(Recurrence):
    """c' = f c + i g, h' = o tanh(c'); dc = dc' + dh' o (1 - tanh(c')^2), dc/dc_prev = f,
    di = dc g, df = dc c, dg = dc i, do = dh' tanh(c'), each times its activation's derivative."""

    mode = "LSTM"
    gate_count = 4
    cache_widths = (4, 1, 1)  # the activated gates i, f, g, o; c; tanh(c')

    @staticmethod
    def step(xp, gates_input, gates_hidden, h, c, cache):
        gates, c_previous, tanh_c = cache
        size = c.shape[1]
        preactivation = gates_input + gates_hidden
        gates[:, :2 * size] = _sigmoid(xp, preactivation[:, :2 * size])
        gates[:, 2 * size:3 * size] = xp.tanh(preactivation[:, 2 * size:3 * size])
        gates[:, 3 * size:] = _sigmoid(xp, preactivation[:, 3 * size:])
        i, f, g, o = (gates[:, k * size:(k + 1) * size] for k in range(4))
        c_previous[...] = c
        c_next = f * c + i * g
        tanh_c[...] = xp.tanh(c_next)
        return o * tanh_c, c_next

    @staticmethod
    def step_backward(xp, grad_h, grad_c, h_previous, cache):
        gates, c_previous, tanh_c = cache
        size = c_previous.shape[1]
        i, f, g, o = (gates[:, k * size:(k + 1) * size] for k in range(4))
        grad_c = grad_c + grad_h * o * (1 - tanh_c * tanh_c)
        grad_gates = xp.empty_like(gates)
        grad_gates[:, :size] = grad_c * g * i * (1 - i)
        grad_gates[:, size:2 * size] = grad_c * c_previous * f * (1 - f)
        grad_gates[:, 2 * size:3 * size] = grad_c * i * (1 - g * g)
        grad_gates[:, 3 * size:] = grad_h * tanh_c * o * (1 - o)
        return grad_gates, grad_gates, None, grad_c * f


class GRU(Recurrence):
    """n = tanh(x_n + r h_n), h' = n + z (h - n); dn = dh' (1 - z), dz = dh' (h - n),
    dr = dn' h_n, dh = dh' z + (the gates' share through W_hh)."""

    mode = "GRU"
    gate_count = 3
    cache_widths = (3, 1)  # the activated gates r, z, n; h_n = h W_hn^T + b_hn

    @staticmethod
    def step(xp, gates_input, gates_hidden, h, c, cache):
        gates, hidden_n = cache
        size = h.shape[1]
        gates[:, :2 * size] = _sigmoid(xp, gates_input[:, :2 * size] + gates_hidden[:, :2 * size])
        r, z, n = (gates[:, k * size:(k + 1) * size] for k in range(3))
        hidden_n[...] = gates_hidden[:, 2 * size:]
        n[...] = xp.tanh(gates_input[:, 2 * size:] + r * hidden_n)
        return n + z * (h - n), None

    @staticmethod
    def step_backward(xp, grad_h, grad_c, h_previous, cache):
        gates, hidden_n = cache
        size = hidden_n.shape[1]
        r, z, n = (gates[:, k * size:(k + 1) * size] for k in range(3))
        grad_n = grad_h * (1 - z) * (1 - n * n)
        grad_z = grad_h * (h_previous - n) * z * (1 - z)
        grad_r = grad_n * hidden_n * r * (1 - r)
        grad_gates_input = xp.concatenate([grad_r, grad_z, grad_n], axis=1)
        grad_gates_hidden = xp.concatenate([grad_r, grad_z, grad_n * r], axis=1)
        return grad_gates_input, grad_gates_hidden, grad_h * z, None


_FUSED = {kind.mode: kind for kind in (RNNTanh, RNNReLU, LSTM, GRU)}


def layer(mode: str, batch_sizes, reverse: bool, input: Tensor, hx: Tensor, cx, w_ih: Tensor, w_hh: Tensor,
          b_ih=None, b_hh=None, w_hr=None):
    """One layer in one direction over a packed sequence, as one fused node.

    ``mode`` is ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``; ``input`` is
    ``(sum(batch_sizes), input_size)``; ``hx`` (and ``cx`` for LSTM, else None) ``(batch, size)``.
    Returns ``(output, h_n)``, or ``(output, h_n, c_n)`` for LSTM, where ``output`` has a row per
    input row and ``h_n`` holds each sequence's state after its own last step.
    """
    return _FUSED[mode].apply(tuple(int(batch) for batch in batch_sizes), bool(reverse), input, hx, cx,
                              w_ih, w_hh, b_ih, b_hh, w_hr)
