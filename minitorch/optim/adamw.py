"""AdamW (``torch.optim.AdamW``): Adam with decoupled weight decay.

The parameter shrinks by ``lr * weight_decay`` of itself each step, outside the gradient, so the decay is
not rescaled by the second-moment estimate as an L2 penalty would be (Loshchilov & Hutter):

    p = p * (1 - lr * weight_decay)
    then Adam's update (see ``adam.py``) with the undecayed gradient
"""
from minitorch.optim.adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        # whatever a loaded checkpoint says (an Adam one, say), AdamW's decay stays decoupled
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
