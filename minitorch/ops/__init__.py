"""The differentiable primitives, one file per family; each op is a ``Function`` with forward and backward side by side."""
