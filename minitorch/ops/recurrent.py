"""RNN, LSTM and GRU over a whole sequence as fused primitives with backpropagation through time."""
from __future__ import annotations

__all__ = []
