"""Weight averaging against torch.optim.swa_utils: AveragedModel (SWA and EMA, with and without
buffers, per-tensor and list averaging functions), update_bn, and the SWALR schedule."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from tests.helpers import OPTIMIZER_TOLERANCES, assert_same, from_torch_structure
from tests.strategies import FLOAT_DTYPES
from tests.test_lr_scheduler import SchedulerPair, assert_same_outcome, recorded

LIBRARIES = (minitorch, torch)
# per-tensor averaging is elementwise arithmetic in PyTorch's order: the results are equal, not close.
# The list functions lerp, and PyTorch's lerp kernel fuses its multiply-add (one rounding, which NumPy
# cannot do): those agree to rounding.
EXACT = {np.dtype(np.float32): (0, 0), np.dtype(np.float64): (0, 0)}


def twin_models(dtype, seed):
    """The same Linear -> BatchNorm1d model in both libraries (torch's weights loaded into ours)."""
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)).to(torch.float64)
    ours = minitorch.nn.Sequential(minitorch.nn.Linear(3, 4), minitorch.nn.BatchNorm1d(4)).to(minitorch.float64)
    if dtype == np.float32:
        theirs, ours = theirs.float(), ours.float()
    ours.load_state_dict(from_torch_structure(theirs.state_dict()))
    return ours, theirs


def move_weights(models, rng):
    """A training step's worth of change, the same in both: every parameter and buffer moves (the
    integer batch counter by a whole number)."""
    for name, value in models[1].state_dict().items():
        if value.is_floating_point():
            change = rng.standard_normal(value.shape).astype(value.numpy().dtype)
        else:
            change = rng.integers(0, 3, value.shape)
        for library, model in zip(LIBRARIES, models):
            with library.no_grad():
                model.state_dict()[name].add_(library.tensor(change))


AVERAGING = {  # the AveragedModel options, and how close the averages must be
    "swa_default": (lambda swa_utils: {}, EXACT),
    "ema_avg_fn": (lambda swa_utils: {"avg_fn": swa_utils.get_ema_avg_fn(0.75)}, EXACT),
    "swa_avg_fn": (lambda swa_utils: {"avg_fn": swa_utils.get_swa_avg_fn()}, EXACT),
    "ema_multi_avg_fn": (lambda swa_utils: {"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.9)},
                         OPTIMIZER_TOLERANCES),
    "ema_multi_avg_fn_weight_above_half": (lambda swa_utils: {"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.3)},
                                           OPTIMIZER_TOLERANCES),
}


@pytest.mark.parametrize("averaging, tolerances", AVERAGING.values(), ids=list(AVERAGING))
@given(dtype=FLOAT_DTYPES, use_buffers=st.booleans(), updates=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_averaged_model_follows_torch(averaging, tolerances, dtype, use_buffers, updates, seed):
    models = twin_models(dtype, seed)
    averaged = [library.optim.swa_utils.AveragedModel(model, use_buffers=use_buffers,
                                                      **averaging(library.optim.swa_utils))
                for library, model in zip(LIBRARIES, models)]
    rng = np.random.default_rng(seed)
    for update in range(updates):
        move_weights(models, rng)
        for average, model in zip(averaged, models):
            average.update_parameters(model)
        assert_same(averaged[0].state_dict(), averaged[1].state_dict(), tolerances,
                    f"averaged state_dict after update {update + 1}")
    batch = rng.standard_normal((5, 3)).astype(dtype)
    for average in averaged:
        average.eval()
    assert_same(averaged[0](minitorch.tensor(batch)), averaged[1](torch.tensor(batch)), OPTIMIZER_TOLERANCES,
                "the averaged model's output")


@pytest.mark.parametrize("name", ["swa_multi_avg_fn_int_tensor_count", "swa_multi_avg_fn_int_python_count"])
def test_swa_multi_avg_fn_on_integer_tensors_raises_like_torch(name):
    count = {"swa_multi_avg_fn_int_tensor_count": lambda library: library.tensor(2),
             "swa_multi_avg_fn_int_python_count": lambda library: 2}[name]
    assert_same_outcome(*[recorded(lambda library=library: library.optim.swa_utils.get_swa_multi_avg_fn()(
        [library.tensor([1, 2])], [library.tensor([2, 5])], count(library))) for library in LIBRARIES])


@given(dtype=FLOAT_DTYPES, batches=st.integers(1, 4), seed=st.integers(0, 2**16), training=st.booleans())
def test_update_bn_recomputes_running_statistics_like_torch(dtype, batches, seed, training):
    models = twin_models(dtype, seed)
    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal((int(rng.integers(2, 6)), 3)).astype(dtype) for _ in range(batches)]
    for library, model in zip(LIBRARIES, models):
        model.train(training)
        loader = [(library.tensor(batch), library.zeros(len(batch))) for batch in inputs]  # (input, target)
        library.optim.swa_utils.update_bn(loader, model)
    assert_same(models[0].state_dict(), models[1].state_dict(), OPTIMIZER_TOLERANCES, "state_dict after update_bn")
    assert (models[0].training, models[0][1].momentum) == (models[1].training, models[1][1].momentum)


SWALR_OPTIONS = st.fixed_dictionaries(
    {"swa_lr": st.floats(1e-3, 0.5)},
    optional={"anneal_epochs": st.integers(0, 15), "anneal_strategy": st.sampled_from(["cos", "linear"])})


@given(options=SWALR_OPTIONS, lrs=st.lists(st.floats(1e-3, 1.0), min_size=1, max_size=2, unique=True),
       loaded_at=st.integers(1, 29), side=st.sampled_from([0, 1]))
def test_swalr_follows_torch_and_resumes_from_the_other_library(options, lrs, loaded_at, side):
    pair = SchedulerPair(("SWALR", options), lrs)
    pair.assert_same_state("after construction")
    pair.run(loaded_at)
    pair.resume_on_fresh_side(side)
    pair.assert_same_state("after loading")
    pair.run(30 - loaded_at, "after loading: ")
    pair.assert_same_state("at the end")


INVALID = {
    "averaged_model_with_both_functions": lambda library, model: library.optim.swa_utils.AveragedModel(
        model, avg_fn=library.optim.swa_utils.get_swa_avg_fn(),
        multi_avg_fn=library.optim.swa_utils.get_swa_multi_avg_fn()),
    "ema_decay_above_one": lambda library, model: library.optim.swa_utils.get_ema_avg_fn(1.5),
    "ema_multi_decay_negative": lambda library, model: library.optim.swa_utils.get_ema_multi_avg_fn(-0.1),
    "swalr_anneal_strategy": lambda library, model: library.optim.swa_utils.SWALR(
        library.optim.SGD(model.parameters()), 0.1, anneal_strategy="exp"),
    "swalr_negative_anneal_epochs": lambda library, model: library.optim.swa_utils.SWALR(
        library.optim.SGD(model.parameters()), 0.1, anneal_epochs=-1),
    "swalr_swa_lr_list_too_long": lambda library, model: library.optim.swa_utils.SWALR(
        library.optim.SGD(model.parameters()), [0.1, 0.2]),
}


@pytest.mark.parametrize("make", INVALID.values(), ids=list(INVALID))
def test_invalid_arguments_raise_like_torch(make):
    models = twin_models(np.float64, 0)
    outcomes = [recorded(lambda library=library, model=model: make(library, model))
                for library, model in zip(LIBRARIES, models)]
    assert isinstance(outcomes[1][0], tuple), "torch accepted it: the case tests nothing"
    assert_same_outcome(*outcomes)
