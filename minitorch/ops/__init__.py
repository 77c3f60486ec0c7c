"""The differentiable primitives, one file per family; each op is a ``Function`` with forward and backward side by side."""
import warnings

# PyTorch computes log(0) = -inf, 1/0 = inf and exp overflow silently; NumPy warns. Silence those
# warnings for the arrays our ops compute (only warnings raised from minitorch's own code: a user's
# NumPy code still warns as usual), at no cost per op.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"minitorch\.")
