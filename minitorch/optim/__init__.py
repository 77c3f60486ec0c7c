"""Optimizers and learning-rate schedulers (``torch.optim``): they read ``param.grad`` and update the
parameters in place, outside autograd."""
from minitorch.optim.optimizer import Optimizer
from minitorch.optim.sgd import SGD
from minitorch.optim.adam import Adam
from minitorch.optim.adamw import AdamW
from minitorch.optim.adamax import Adamax
from minitorch.optim.nadam import NAdam
from minitorch.optim.radam import RAdam
from minitorch.optim.rmsprop import RMSprop
from minitorch.optim.adagrad import Adagrad
from minitorch.optim.adadelta import Adadelta
from minitorch.optim import lr_scheduler
from minitorch.optim.lbfgs import LBFGS
from minitorch.optim.rprop import Rprop
from minitorch.optim.asgd import ASGD
from minitorch.optim import swa_utils
