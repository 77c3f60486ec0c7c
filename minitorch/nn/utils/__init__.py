"""``minitorch.nn.utils``: gradient clipping, parameter vectors, and (``rnn``) packed sequences."""
