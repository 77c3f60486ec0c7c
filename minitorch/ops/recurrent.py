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


def _by_gate(weight, gate_count: int):
    """``(gates * hidden, n)`` weight rows as ``(gates, hidden, n)``: one matrix per gate (a view)."""
    return weight.reshape(gate_count, weight.shape[0] // gate_count, weight.shape[1])


def _sigmoid_from_tanh_(x) -> None:
    """In place, tanh(a / 2) becomes sigmoid(a) = (1 + tanh(a / 2)) / 2."""
    x *= 0.5
    x += 0.5


class Recurrence(Function):
    """One layer, one direction, over a whole packed sequence; backward is backpropagation through time.

    Subclasses give the cell: ``cache_widths`` (what each step keeps for backward besides its
    activated gates, in multiples of the hidden size), ``step`` (one step forward on arrays, in
    place) and ``step_backward`` (its derivative, into the gate gradients). ``forward`` and
    ``backward`` here are the loops over time; they reach the cell through ``ctx``, which is an
    instance of the subclass.

    Shaped for speed:
    - the gates are kept gate-major, ``(gate, row, unit)``: each gate of each step is a contiguous
      ``(batch, hidden)`` block, so the gate arithmetic runs on contiguous arrays, in place (NumPy
      pays per row on a column slice of a ``(batch, gates * hidden)`` array);
    - the input's share of every step is one batched matmul up front, the hidden bias folded in
      (except in GRU, whose candidate gate scales it by r); the activated gates overwrite it;
    - each step makes one GEMM into a reused ``(batch, gates * hidden)`` buffer, read gate-major
      through a transposed view;
    - sigmoid(a) is computed as (1 + tanh(a / 2)) / 2, so all of an LSTM's gates take one tanh
      call (NumPy's tanh is vectorized, cheaper than exp, and cannot overflow): the sigmoid gates'
      weights are halved up front (``preactivation_scale``; exact, a power of two).
    """

    mode = None
    gate_count = 1
    cache_widths = ()
    preactivation_scale = None
    fold_hidden_bias = True

    @staticmethod
    def forward(ctx, batch_sizes, reverse, input, hx, cx, w_ih, w_hh, b_ih, b_hh, w_hr):
        xp = backend.array_module(input)
        count, hidden_size, dtype = ctx.gate_count, w_hh.shape[0] // ctx.gate_count, input.dtype
        starts = _step_starts(batch_sizes)
        order = range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))
        rows_total = input.shape[0]
        weight_input, weight_hidden, bias_input, bias_hidden = w_ih, w_hh, b_ih, b_hh
        if ctx.preactivation_scale is not None:
            scale = xp.asarray(ctx.preactivation_scale, dtype=dtype).repeat(hidden_size)
            weight_input, weight_hidden = w_ih * scale[:, None], w_hh * scale[:, None]
            if b_ih is not None:
                bias_input, bias_hidden = b_ih * scale, b_hh * scale
        if b_ih is not None and ctx.fold_hidden_bias:
            bias_input, bias_hidden = bias_input + bias_hidden, None
        # The input's share of the gates, for every time step at once: (gate, row, unit).
        gates = xp.matmul(input, _by_gate(weight_input, count).transpose(0, 2, 1))
        if bias_input is not None:
            gates += bias_input.reshape(count, 1, hidden_size)
        h_state = hx.copy()
        c_state = cx.copy() if cx is not None else None
        output = xp.empty((rows_total, hx.shape[1]), dtype=dtype)
        h_previous = xp.empty_like(output)     # the state each step started from: for dW_hh
        cache = [xp.empty((rows_total, width * hidden_size), dtype=dtype) for width in ctx.cache_widths]
        h_unprojected = xp.empty((rows_total, hidden_size), dtype=dtype) if w_hr is not None else None
        hidden = xp.empty((hx.shape[0], count * hidden_size), dtype=dtype)  # h W_hh^T, reused by every step
        for t in order:
            batch = batch_sizes[t]
            rows = slice(starts[t], starts[t] + batch)
            h = h_state[:batch]
            h_previous[rows] = h
            gates_hidden = hidden[:batch]
            xp.matmul(h, weight_hidden.T, out=gates_hidden)
            if bias_hidden is not None:
                gates_hidden += bias_hidden
            h_next = (h_unprojected if w_hr is not None else output)[rows]
            ctx.step(xp, gates[:, rows], gates_hidden.reshape(batch, count, hidden_size).transpose(1, 0, 2), h,
                     c_state[:batch] if c_state is not None else None, h_next, [array[rows] for array in cache])
            if w_hr is not None:  # LSTM with projections: the state carried on is h W_hr^T
                xp.matmul(h_next, w_hr.T, out=output[rows])
            h_state[:batch] = output[rows]
        ctx.batch_sizes, ctx.reverse = batch_sizes, reverse
        ctx.save_for_backward(input, hx, cx, w_ih, w_hh, b_ih, b_hh, w_hr, h_previous, h_unprojected, gates, *cache)
        return (output, h_state, c_state) if c_state is not None else (output, h_state)

    @staticmethod
    def backward(ctx, grad_output, grad_hn, grad_cn=None):
        """Backpropagation through time: the steps in reverse order, carrying d(loss)/d(state)."""
        if grad_mode.is_grad_enabled():  # create_graph=True: differentiate the composite instead
            return _composite_backward(ctx, grad_output, grad_hn, grad_cn)
        saved = [tensor._data if tensor is not None else None for tensor in ctx.saved_tensors]
        # (the initial states and biases are kept for the composite backward only)
        input, _, _, w_ih, w_hh, _, _, w_hr, h_previous, h_unprojected, gates, *cache = saved
        xp = backend.array_module(input)
        count, hidden_size = gates.shape[0], gates.shape[2]
        batch_sizes = ctx.batch_sizes
        starts = _step_starts(batch_sizes)
        order = range(len(batch_sizes)) if ctx.reverse else range(len(batch_sizes) - 1, -1, -1)
        grad_output = grad_output._data
        rows_total, max_batch = input.shape[0], grad_hn.shape[0]
        # d(loss)/d(gates) of every step, row-major like W's rows: the weights' gradients are then
        # one GEMM over all steps each. The gradients through W_ih and W_hh are the same, except
        # in GRU (its candidate gate scales the hidden state's share by r).
        grad_gates_input = xp.empty((rows_total, count * hidden_size), dtype=gates.dtype)
        grad_gates_hidden = xp.empty_like(grad_gates_input) if ctx.mode == "GRU" else grad_gates_input
        # One step's gate gradients, gate-major (contiguous per gate) while the cell computes them.
        step_input = xp.empty((count, max_batch, hidden_size), dtype=gates.dtype)
        step_hidden = xp.empty_like(step_input) if ctx.mode == "GRU" else step_input
        grad_projected = xp.empty_like(grad_output) if w_hr is not None else None
        grad_h_state = grad_hn._data.copy()
        grad_c_state = grad_cn._data.copy() if grad_cn is not None else None
        for t in order:
            batch = batch_sizes[t]
            rows = slice(starts[t], starts[t] + batch)
            grad_h = grad_h_state[:batch]
            grad_h += grad_output[rows]
            if w_hr is not None:
                grad_projected[rows] = grad_h
                grad_h = grad_h @ w_hr
            grad_c = grad_c_state[:batch] if grad_c_state is not None else None
            grad_h_direct = ctx.step_backward(xp, grad_h, grad_c, h_previous[rows], gates[:, rows],
                                              step_input[:, :batch], step_hidden[:, :batch],
                                              [array[rows] for array in cache])
            _copy_to_rows(grad_gates_input[rows], step_input[:, :batch])
            if grad_gates_hidden is not grad_gates_input:
                _copy_to_rows(grad_gates_hidden[rows], step_hidden[:, :batch])
            xp.matmul(grad_gates_hidden[rows], w_hh, out=grad_h_state[:batch])
            if grad_h_direct is not None:
                grad_h_state[:batch] += grad_h_direct
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


def _copy_to_rows(rows, gate_major) -> None:
    """Gate-major ``(gate, batch, unit)`` into the rows ``(batch, gate * unit)``."""
    count, batch, size = gate_major.shape
    rows.reshape(batch, count, size)[...] = gate_major.transpose(1, 0, 2)


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

    @staticmethod
    def step(xp, gates, gates_hidden, h, c, h_next, cache):
        gates += gates_hidden
        xp.tanh(gates, out=gates)
        h_next[...] = gates[0]

    @staticmethod
    def step_backward(xp, grad_h, grad_c, h_previous, gates, grad_gates, grad_gates_hidden, cache):
        h_next, grad_a = gates[0], grad_gates[0]
        xp.multiply(h_next, h_next, out=grad_a)
        xp.subtract(1, grad_a, out=grad_a)
        grad_a *= grad_h


class RNNReLU(Recurrence):
    """h' = relu(a); da = dh' [a > 0]."""

    mode = "RNN_RELU"

    @staticmethod
    def step(xp, gates, gates_hidden, h, c, h_next, cache):
        gates += gates_hidden
        xp.maximum(gates, 0, out=gates)
        h_next[...] = gates[0]

    @staticmethod
    def step_backward(xp, grad_h, grad_c, h_previous, gates, grad_gates, grad_gates_hidden, cache):
        xp.multiply(grad_h, gates[0] > 0, out=grad_gates[0])


class LSTM(Recurrence):
    """c' = f c + i g, h' = o tanh(c'); dc = dc' + dh' o (1 - tanh(c')^2), dc/dc_prev = f,
    di = dc g, df = dc c, dg = dc i, do = dh' tanh(c'), each times its activation's derivative."""

    mode = "LSTM"
    gate_count = 4
    cache_widths = (1, 1)  # c; tanh(c')
    preactivation_scale = (0.5, 0.5, 1, 0.5)  # i, f, o are sigmoids (see Recurrence)

    @staticmethod
    def step(xp, gates, gates_hidden, h, c, h_next, cache):
        c_previous, tanh_c = cache
        gates += gates_hidden
        xp.tanh(gates, out=gates)
        i, f, g, o = gates
        _sigmoid_from_tanh_(gates[:2])
        _sigmoid_from_tanh_(o)
        c_previous[...] = c
        c *= f
        xp.multiply(i, g, out=tanh_c)
        c += tanh_c
        xp.tanh(c, out=tanh_c)
        xp.multiply(o, tanh_c, out=h_next)

    @staticmethod
    def step_backward(xp, grad_h, grad_c, h_previous, gates, grad_gates, grad_gates_hidden, cache):
        c_previous, tanh_c = cache
        i, f, g, o = gates
        grad_i, grad_f, grad_g, grad_o = grad_gates
        # dc += dh' o (1 - tanh(c')^2), with grad_o as scratch
        xp.multiply(tanh_c, tanh_c, out=grad_o)
        xp.subtract(1, grad_o, out=grad_o)
        grad_o *= o
        grad_o *= grad_h
        grad_c += grad_o
        # do = dh' tanh(c') o (1 - o)
        xp.subtract(1, o, out=grad_o)
        grad_o *= o
        grad_o *= tanh_c
        grad_o *= grad_h
        # di = dc g i (1 - i), df = dc c f (1 - f)
        xp.subtract(1, gates[:2], out=grad_gates[:2])
        grad_gates[:2] *= gates[:2]
        grad_gates[:2] *= grad_c
        grad_i *= g
        grad_f *= c_previous
        # dg = dc i (1 - g^2)
        xp.multiply(g, g, out=grad_g)
        xp.subtract(1, grad_g, out=grad_g)
        grad_g *= i
        grad_g *= grad_c
        grad_c *= f


class GRU(Recurrence):
    """n = tanh(x_n + r h_n), h' = n + z (h - n); dn = dh' (1 - z), dz = dh' (h - n),
    dr = dn' h_n, dh = dh' z + (the gates' share through W_hh)."""

    mode = "GRU"
    gate_count = 3
    cache_widths = (1,)  # h_n = h W_hn^T + b_hn
    preactivation_scale = (0.5, 0.5, 1)  # r, z are sigmoids (see Recurrence)
    fold_hidden_bias = False

    @staticmethod
    def step(xp, gates, gates_hidden, h, c, h_next, cache):
        hidden_n, = cache
        r_z = gates[:2]
        r_z += gates_hidden[:2]
        xp.tanh(r_z, out=r_z)
        _sigmoid_from_tanh_(r_z)
        r, z, n = gates
        hidden_n[...] = gates_hidden[2]
        xp.multiply(r, hidden_n, out=h_next)
        n += h_next
        xp.tanh(n, out=n)
        xp.subtract(h, n, out=h_next)
        h_next *= z
        h_next += n

    @staticmethod
    def step_backward(xp, grad_h, grad_c, h_previous, gates, grad_gates, grad_gates_hidden, cache):
        hidden_n, = cache
        r, z, n = gates
        grad_r, grad_z, grad_n = grad_gates
        # dn = dh' (1 - z) (1 - n^2)
        xp.subtract(1, z, out=grad_z)
        xp.multiply(n, n, out=grad_n)
        xp.subtract(1, grad_n, out=grad_n)
        grad_n *= grad_z
        grad_n *= grad_h
        # dz = dh' (h - n) z (1 - z), with grad_r as scratch
        grad_z *= z
        grad_z *= grad_h
        xp.subtract(h_previous, n, out=grad_r)
        grad_z *= grad_r
        # dr = dn h_n r (1 - r)
        xp.subtract(1, r, out=grad_r)
        grad_r *= r
        grad_r *= hidden_n
        grad_r *= grad_n
        grad_gates_hidden[:2] = grad_gates[:2]
        xp.multiply(grad_n, r, out=grad_gates_hidden[2])
        return grad_h * z


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
