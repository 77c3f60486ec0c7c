"""Draw the docs' figures from the current code: ``python3 docs/make_figures.py``.

Each entry of ``FIGURES`` builds one small expression with minitorch and returns
its backward graph (``minitorch.viz.graph``). The script writes the graph's DOT
text to ``docs/figures/NAME.dot`` and renders it to ``docs/figures/NAME.svg``,
which the pages embed. ``tests/test_docs.py`` rebuilds the DOT text of every
entry and compares it with the committed ``.dot`` file, so a change in the
library that changes a picture fails the tests until this script is run again.
"""
from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # this checkout's minitorch

import minitorch  # noqa: E402
from minitorch import nn  # noqa: E402

FIGURES_FOLDER = pathlib.Path(__file__).resolve().parent / "figures"


def mul_graph():
    """Page 2: ``(x * y).sum()``: MulBackward saved both operands."""
    x = minitorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = minitorch.tensor([4.0, 5.0, 6.0], requires_grad=True)
    return minitorch.viz.graph((x * y).sum(), params={"x": x, "y": y})


def engine_graph():
    """Page 3: ``b = a + a; c = b * b``, the smallest graph whose nodes must wait for two gradients."""
    a = minitorch.tensor([3.0], requires_grad=True)
    b = a + a
    return minitorch.viz.graph(b * b, params={"a": a})


def broadcasting_graph():
    """Page 4: ``(x * bias + 1).sum()`` with a (3,) bias broadcast over (4, 3)."""
    x = minitorch.ones(4, 3, requires_grad=True)
    bias = minitorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    return minitorch.viz.graph((x * bias + 1).sum(), params={"x": x, "bias": bias})


def mlp_graph():
    """Page 5: the cross-entropy loss of a two-layer MLP on a batch of 5, leaves named by the model."""
    minitorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = nn.functional.cross_entropy(model(minitorch.randn(5, 3)), minitorch.tensor([0, 1, 1, 0, 1]))
    return minitorch.viz.graph(loss, params=dict(model.named_parameters()))


FIGURES = {"mul": mul_graph, "engine": engine_graph, "broadcasting": broadcasting_graph, "mlp": mlp_graph}


def main():
    FIGURES_FOLDER.mkdir(exist_ok=True)
    for name, build in FIGURES.items():
        graph = build()
        (FIGURES_FOLDER / f"{name}.dot").write_text(graph.source)
        graph.render(FIGURES_FOLDER / f"{name}.svg", format="svg")
        print(f"wrote docs/figures/{name}.dot and {name}.svg")


if __name__ == "__main__":
    main()
