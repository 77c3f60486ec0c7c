"""``minitorch.utils.summary``: a model's layers as a table of output shapes and parameter counts.

The table is torchinfo's (``torchinfo.summary``): one row per module call, in
call order, indented by depth, then the parameter totals and a memory
estimate::

    ==========================================================================================
    Layer (type:depth-idx)                   Output Shape              Param #
    ==========================================================================================
    Sequential                               [1, 10]                   --
    ├─Conv2d: 1-1                            [1, 32, 32, 32]           896
    ...

It runs the model once, on zeros (only shapes matter, and the random state
stays as it was), in eval mode and without grad, with a forward pre-hook and a
forward hook on every module, and removes the hooks afterwards. Built on the
public ``nn.Module`` API only, as a user would write it.
"""
from __future__ import annotations

from dataclasses import dataclass

import minitorch

_WIDTHS = (40, 26, 24)  # torchinfo's columns: layer, output shape, parameter count
_RULE_WIDTH = sum(_WIDTHS)
_MEGABYTE = 1e6  # torchinfo's unit


@dataclass
class LayerRow:
    """One call of one module."""

    name: str               # its path in the model ("" for the model itself, "features.0" below it)
    class_name: str
    depth: int              # 0 for the model itself
    depth_index: int        # 1, 2, ... among the rows of this depth
    output_shape: list | None = None   # a list of sizes, or a list of those for several outputs
    num_params: int = 0     # parameters it holds that no row below it shows
    trainable_params: int = 0
    output_bytes: int = 0   # bytes of its outputs
    is_leaf: bool = False   # a module with no submodules: its outputs are the activations kept for backward


class ModelSummary:
    """What ``summary`` returns: ``str()`` is the table; the numbers are attributes."""

    def __init__(self, layers: list, parameters: list, input_bytes: int):
        self.layers = layers
        self.total_params = sum(parameter.numel() for parameter in parameters)
        self.trainable_params = sum(parameter.numel() for parameter in parameters if parameter.requires_grad)
        self.input_bytes = input_bytes
        # Each activation is stored once in forward and has a gradient of its size in backward.
        self.forward_backward_bytes = 2 * sum(layer.output_bytes for layer in layers if layer.is_leaf)
        self.params_bytes = sum(parameter.nbytes for parameter in parameters)

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def __str__(self):
        rule, thin = "=" * _RULE_WIDTH, "-" * _RULE_WIDTH
        lines = [rule, _columns("Layer (type:depth-idx)", "Output Shape", "Param #"), rule]
        lines += [_columns(_layer_title(layer), str(layer.output_shape or "--"),
                           f"{layer.num_params:,}" if layer.num_params else "--") for layer in self.layers]
        megabytes = [self.input_bytes, self.forward_backward_bytes, self.params_bytes]
        lines += [rule,
                  f"Total params: {self.total_params:,}",
                  f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.non_trainable_params:,}",
                  thin,
                  f"Input size (MB): {megabytes[0] / _MEGABYTE:.2f}",
                  f"Forward/backward pass size (MB): {megabytes[1] / _MEGABYTE:.2f}",
                  f"Params size (MB): {megabytes[2] / _MEGABYTE:.2f}",
                  f"Estimated Total Size (MB): {sum(megabytes) / _MEGABYTE:.2f}",
                  rule]
        return "\n".join(lines)

    __repr__ = __str__  # (so it shows as the table in a notebook or the REPL, as torchinfo's does)


def summary(model, input_size=None, input_data=None, batch_dim: int | None = None, dtypes=None, device=None,
            depth: int = 3) -> ModelSummary:
    """Run ``model`` once and tabulate each module call's output shape and parameters (torchinfo's API).

    Give either ``input_size`` (the shape of the input, batch included, or a list of shapes for
    several inputs; zeros of ``dtypes``, default float32, on ``device`` are made) or ``input_data``
    (a tensor or a list of tensors). ``batch_dim`` inserts a batch of 1 at that position of each
    input size. Rows deeper than ``depth`` are folded into their ancestor's row.
    """
    inputs = _inputs(input_size, input_data, batch_dim, dtypes, device)
    recorder = _Recorder(depth)
    handles = []
    named = list(model.named_modules())
    for name, module in named:
        handles.append(module.register_forward_pre_hook(recorder.opening(name, module)))
        handles.append(module.register_forward_hook(recorder.close))
    training = {module: module.training for _, module in named}
    model.eval()
    try:
        with minitorch.no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in training.items():
            module.training = mode
    shown = [layer for layer in recorder.layers if layer.depth <= depth]
    return ModelSummary(shown, list(model.parameters()), sum(tensor.nbytes for tensor in inputs))


def _inputs(input_size, input_data, batch_dim, dtypes, device) -> list:
    if input_data is not None:
        return list(input_data) if isinstance(input_data, (list, tuple)) else [input_data]
    if input_size is None:
        raise ValueError("summary needs input_size or input_data")
    sizes = [list(size) for size in input_size] if isinstance(input_size[0], (list, tuple)) else [list(input_size)]
    if batch_dim is not None:
        for size in sizes:
            size.insert(batch_dim, 1)
    dtypes = dtypes or [minitorch.float32] * len(sizes)
    return [minitorch.zeros(*size, dtype=dtype, device=device) for size, dtype in zip(sizes, dtypes)]


class _Recorder:
    """The hooks' shared state: a row per module call, opened by the pre-hook (so a container's row
    comes before its children's) and closed by the forward hook (calls nest, so a stack pairs them)."""

    def __init__(self, max_depth: int):
        self.max_depth = max_depth
        self.layers = []
        self.open_rows = []
        self.counters = {}  # depth -> rows of that depth so far

    def opening(self, name, module):
        """The pre-hook of the module called ``name``."""
        depth = name.count(".") + 1 if name else 0
        # At the depth limit a row also holds the parameters of everything folded into it.
        params = list(module.parameters(recurse=depth >= self.max_depth))
        is_leaf = next(module.children(), None) is None

        def hook(module, args):
            self.counters[depth] = self.counters.get(depth, 0) + 1
            row = LayerRow(name, type(module).__name__, depth, self.counters[depth],
                           num_params=sum(parameter.numel() for parameter in params),
                           trainable_params=sum(parameter.numel() for parameter in params if parameter.requires_grad),
                           is_leaf=is_leaf)
            self.layers.append(row)
            self.open_rows.append(row)
        return hook

    def close(self, module, args, output):
        row = self.open_rows.pop()
        row.output_shape = _shapes(output)
        row.output_bytes = sum(tensor.nbytes for tensor in _tensors(output))


def _shapes(output):
    if isinstance(output, minitorch.Tensor):
        return list(output.shape)
    if isinstance(output, (list, tuple)):
        return [_shapes(item) for item in output]
    return None


def _tensors(output):
    if isinstance(output, minitorch.Tensor):
        return [output]
    if isinstance(output, (list, tuple)):
        return [tensor for item in output for tensor in _tensors(item)]
    return []


def _layer_title(layer) -> str:
    if layer.depth == 0:
        return layer.class_name
    branch = "├─" if layer.depth == 1 else "│    " * (layer.depth - 1) + "└─"
    return f"{branch}{layer.class_name}: {layer.depth}-{layer.depth_index}"


def _columns(*cells) -> str:
    return "".join(cell.ljust(width) for cell, width in zip(cells, _WIDTHS)).rstrip()
