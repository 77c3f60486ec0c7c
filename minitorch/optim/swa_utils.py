"""Weight averaging (``torch.optim.swa_utils``): a running average of a model's weights over training,
which often generalises better than the last weights.

Where it sits: beside the optimizers and schedulers, on top of ``nn``.

* ``AveragedModel`` keeps a copy of a model and folds the model's current weights into it at each
  ``update_parameters``: an equal-weight average by default (SWA, stochastic weight averaging), or an
  exponential moving average (EMA) with ``get_ema_multi_avg_fn(decay)``.
* ``SWALR`` anneals each group's rate to a constant ``swa_lr`` for the averaging phase.
* ``update_bn`` recomputes BatchNorm running statistics for the averaged weights (one pass over data).

The averages, for the ``n``-th model folded in (``n`` = ``n_averaged``, from 0):

    SWA: avg = avg + (p - avg) / (n + 1)          EMA: avg = decay * avg + (1 - decay) * p
"""
from __future__ import annotations

import itertools
import math
from copy import deepcopy

import minitorch
from minitorch.nn import Module
from minitorch.nn.modules.batchnorm import _BatchNorm
from minitorch.optim.lr_scheduler import LRScheduler, _format_param
from minitorch.optim.optimizer import hyperparameter, lerp_
from minitorch.tensor import Tensor

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


# -- averaging functions: per tensor (avg_fn) and over a list of tensors of one device and dtype (multi_avg_fn) --


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _lerp_all_(averaged: list, current: list, weight: float) -> None:
    """``avg += weight * (p - avg)`` for each pair, in place, as ``torch._foreach_lerp_`` computes it."""
    for average, param in zip(averaged, current, strict=True):
        lerp_(average._data, param._data, weight)
        average._version.bump()


def get_ema_multi_avg_fn(decay=0.999):
    """The EMA update over lists of tensors: ``avg = lerp(avg, p, 1 - decay)``."""
    _check_decay(decay)

    @minitorch.no_grad()
    def ema_update(ema_param_list, current_param_list, _) -> None:
        if ema_param_list[0].is_floating_point() or ema_param_list[0].is_complex():
            _lerp_all_(ema_param_list, current_param_list, 1 - decay)
        else:  # integer buffers (num_batches_tracked): the formula, truncated back to the buffer's dtype
            for ema_param, current_param in zip(ema_param_list, current_param_list, strict=True):
                ema_param.copy_(ema_param * decay + current_param * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """The SWA update over lists of tensors: ``avg = lerp(avg, p, 1 / (n + 1))``."""

    @minitorch.no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged) -> None:
        if not (averaged_param_list[0].is_floating_point() or averaged_param_list[0].is_complex()):
            # PyTorch refuses too: its integer path divides with addcdiv, or adds with a float alpha
            if isinstance(num_averaged, Tensor):
                raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future  "
                                   "release addcdiv will perform a true division of tensor1 and tensor2.")
            raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
        # with a tensor n, the weight is a tensor of the default dtype, rounded there
        _lerp_all_(averaged_param_list, current_param_list, hyperparameter(1 / (num_averaged + 1)))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """The EMA update of one tensor: ``decay * avg + (1 - decay) * p``."""
    _check_decay(decay)

    @minitorch.no_grad()
    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """The SWA update of one tensor: ``avg + (p - avg) / (n + 1)``."""

    @minitorch.no_grad()
    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


def _group_by_device_and_dtype(averaged: list, current: list) -> dict:
    """``{(device, dtype): (averaged tensors, current tensors)}``, in order of first appearance: a
    multi_avg_fn sees tensors of one kind at a time."""
    groups: dict = {}
    for average, param in zip(averaged, current, strict=True):
        pair = groups.setdefault((average.device, average.dtype), ([], []))
        pair[0].append(average)
        pair[1].append(param)
    return groups


class AveragedModel(Module):
    """A copy of ``model`` holding the average of the weights given to ``update_parameters``.

    ``avg_fn(averaged, current, n_averaged)`` returns one tensor's new average; ``multi_avg_fn``
    updates lists of them in place (give at most one; by default the equal-weight SWA average). With
    ``use_buffers=True`` buffers (BatchNorm running statistics) are averaged too; otherwise they are
    copied from ``model`` at each update. Calling the averaged model runs the copy.
    """

    def __init__(self, model: Module, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", minitorch.tensor(0, dtype=minitorch.long, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _averaged_tensors(self, module: Module):
        if self.use_buffers:
            return itertools.chain(module.parameters(), module.buffers())
        return module.parameters()

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average (the first call just copies them)."""
        averaged, current = [], []
        copy_first = bool(self.n_averaged == 0)
        # zip stops at the shorter: PyTorch does not check that the two models have the same parameters
        for average, param in zip(self._averaged_tensors(self.module), self._averaged_tensors(model)):
            param = param.detach().to(average.device)
            averaged.append(average.detach())
            current.append(param)
            if copy_first:
                average.detach().copy_(param)
        if self.n_averaged > 0:
            if self.multi_avg_fn is not None or self.avg_fn is None:
                for (device, _), (averaged_group, current_group) in _group_by_device_and_dtype(averaged,
                                                                                              current).items():
                    n_averaged = self.n_averaged.to(device)
                    if self.multi_avg_fn:
                        self.multi_avg_fn(averaged_group, current_group, n_averaged)
                    elif device.type == "cuda":  # PyTorch's foreach kernels serve CUDA; elsewhere, per tensor
                        get_swa_multi_avg_fn()(averaged_group, current_group, n_averaged)
                    else:
                        self._update_each(averaged_group, current_group, get_swa_avg_fn())
            else:
                self._update_each(averaged, current, self.avg_fn)
        if not self.use_buffers:
            for buffer, model_buffer in zip(self.module.buffers(), model.buffers(), strict=True):
                buffer.detach().copy_(model_buffer.detach().to(buffer.device))
        self.n_averaged += 1

    def _update_each(self, averaged: list, current: list, avg_fn) -> None:
        for average, param in zip(averaged, current, strict=True):
            average.detach().copy_(avg_fn(average.detach(), param, self.n_averaged.to(average.device)))


@minitorch.no_grad()
def update_bn(loader, model: Module, device=None) -> None:
    """Recompute every BatchNorm's running statistics with one pass over ``loader``, as a cumulative
    (equal-weight) average, leaving momentum and the train/eval mode as they were."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None  # momentum None: a cumulative average over all batches
    for input in loader:
        if isinstance(input, (list, tuple)):
            input = input[0]  # (inputs, targets) batches
        if device is not None:
            input = input.to(device)
        model(input)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's rate from where it is to ``swa_lr`` over ``anneal_epochs`` epochs, then hold it.

    With ``alpha_t`` going from 0 to 1 (``t`` for ``linear``, ``(1 - cos(pi t)) / 2`` for ``cos``):
        lr_t = swa_lr * alpha_t + lr_start * (1 - alpha_t)
    where ``lr_start`` is recovered from the group's current rate and ``alpha_{t-1}`` (chained form).
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy: str = "cos", last_epoch=-1) -> None:
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for swa_lr_of_group, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = swa_lr_of_group
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        """The rate annealing started from, given the rate ``lr`` reached at ``alpha``."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list:
        self._warn_if_called_outside_step()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        previous_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        start_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], previous_alpha)
                     for group in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, start_lrs, strict=True)]

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self) -> dict:
        """Every attribute but the optimizer and the annealing function (rebuilt on loading)."""
        return {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
