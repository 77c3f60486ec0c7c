"""Learning-rate schedulers against torch.optim.lr_scheduler: the same rates (to the last bit) step for
step, the same state_dicts, checkpoints that move between the libraries mid-run, the same warnings
and the same errors.

A scheduler is described once as a *recipe*, ``(class name, options)``, and built in both libraries
from it; options may hold fresh-per-build callables (``Fresh``) and, for SequentialLR and
ChainedScheduler, the recipes of the schedulers they drive.
"""
import copy
import warnings

import pytest
import torch
from hypothesis import given, strategies as st

import minitorch
from tests.helpers import assert_same, from_torch_structure, to_torch_structure

STEPS = 100


# -- building the same scheduler in both libraries ---------------------------------------------------


class Fresh:
    """An option made anew for every scheduler built (a callable object's state must not be shared)."""

    def __init__(self, make, name):
        self.make, self.name = make, name

    def __repr__(self):
        return self.name


class WarmUp:
    """A callable object: its attributes (state, which changes as it is called) go into state_dicts."""

    def __init__(self, length):
        self.length, self.calls = length, 0

    def __call__(self, epoch):
        self.calls += 1
        return min(1.0, (epoch + 1) / self.length)


LAMBDAS = st.sampled_from([
    Fresh(lambda: lambda epoch: 0.95 ** epoch, "0.95**epoch"),
    Fresh(lambda: lambda epoch: 1 / (1 + 0.1 * epoch), "1/(1+0.1*epoch)"),
    Fresh(lambda: lambda epoch: 0.5 if epoch % 7 == 6 else 1.0, "halve every 7"),
    Fresh(lambda: WarmUp(10), "WarmUp(10)"),
])


def realize(value):
    if isinstance(value, Fresh):
        return value.make()
    if isinstance(value, list):
        return [realize(inner) for inner in value]
    return value


def build(library, optimizer, recipe):
    name, options = recipe
    options = {key: realize(value) for key, value in options.items()}
    if name in ("SequentialLR", "ChainedScheduler"):
        options["schedulers"] = [build(library, optimizer, inner) for inner in options["schedulers"]]
        if name == "ChainedScheduler":
            return library.optim.lr_scheduler.ChainedScheduler(**options)
    module = library.optim.swa_utils if name == "SWALR" else library.optim.lr_scheduler
    return getattr(module, name)(optimizer, **options)


def make_optimizers(optimizer_name, lrs, options=None):
    """The same optimizer in both libraries, a one-element parameter per group, one group per lr."""
    options = options or {}
    pair = []
    for library in (minitorch, torch):
        groups = [{"params": [library.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
        pair.append(getattr(library.optim, optimizer_name)(groups, **options))
    return pair


OPTIMIZER_OPTIONS = {"SGD": {"momentum": 0.9}, "Adam": {}}


class SchedulerPair:
    """One recipe built over twin optimizers; every step runs on both sides and is compared."""

    def __init__(self, recipe, lrs, optimizer_name="SGD"):
        self.recipe, self.optimizer_name = recipe, optimizer_name
        self.optimizers = make_optimizers(optimizer_name, lrs, OPTIMIZER_OPTIONS[optimizer_name])
        self.schedulers = [build(library, optimizer, recipe)
                           for library, optimizer in zip((minitorch, torch), self.optimizers)]

    def step(self, *args):
        for optimizer, scheduler in zip(self.optimizers, self.schedulers):
            optimizer.step()
            scheduler.step(*args)

    def assert_same_rates(self, what):
        ours, theirs = self.schedulers
        assert_same(ours.get_last_lr(), theirs.get_last_lr(), what=f"{what}: get_last_lr()")
        assert_same(*[[{key: value for key, value in group.items() if key != "params"}
                       for group in optimizer.param_groups] for optimizer in self.optimizers],
                    what=f"{what}: param_groups")

    def assert_same_state(self, what):
        assert_same(self.schedulers[0].state_dict(), self.schedulers[1].state_dict(), what=f"{what}: state_dict")

    def run(self, steps, what="", epochs=None):
        """``steps`` steps (to the given ``epochs``, if any), comparing the rates after each."""
        for index in range(steps):
            self.step(*([] if epochs is None else [epochs[index]]))
            self.assert_same_rates(f"{what}step {index + 1}")

    def resume_on_fresh_side(self, side):
        """Replace one library's optimizer and scheduler by fresh ones that load the other side's
        state_dicts (scheduler built first, then both states loaded, as PyTorch's docs advise).

        A scheduler's state holds only Python values here (no tensor rates), so it is handed over as
        a deep copy, which keeps types such as MultiStepLR's Counter and shares no list between the sides.
        """
        library, convert = (minitorch, from_torch_structure) if side == 0 else (torch, to_torch_structure)
        source_optimizer, source_scheduler = self.optimizers[1 - side], self.schedulers[1 - side]
        optimizer = getattr(library.optim, self.optimizer_name)(
            [{"params": group["params"]} for group in self.optimizers[side].param_groups])
        scheduler = build(library, optimizer, self.recipe)
        optimizer.load_state_dict(convert(source_optimizer.state_dict()))
        scheduler.load_state_dict(copy.deepcopy(source_scheduler.state_dict()))
        self.optimizers[side], self.schedulers[side] = optimizer, scheduler


# -- what each scheduler may be given (hypothesis) -------------------------------------------------------

GAMMAS = st.floats(0.5, 0.999)
ETA_MINS = st.one_of(st.just(0.0), st.floats(1e-5, 1e-3))


def per_group(values, groups):
    """One value for all groups, or a list with one per group."""
    return st.one_of(values, st.lists(values, min_size=groups, max_size=groups))


# the schedulers that compose (SequentialLR and ChainedScheduler drive these): their options, given
# the number of parameter groups
CHAINABLE = {
    "StepLR": lambda groups: st.fixed_dictionaries({"step_size": st.integers(1, 30), "gamma": GAMMAS}),
    "MultiStepLR": lambda groups: st.fixed_dictionaries({"milestones": st.lists(st.integers(1, 90), max_size=5),
                                                         "gamma": GAMMAS}),
    "ExponentialLR": lambda groups: st.fixed_dictionaries({"gamma": st.floats(0.9, 0.999)}),
    "ConstantLR": lambda groups: st.fixed_dictionaries({}, optional={"factor": st.floats(0.05, 1.0),
                                                                     "total_iters": st.integers(1, 50)}),
    "LinearLR": lambda groups: st.fixed_dictionaries({}, optional={"start_factor": st.floats(0.01, 1.0),
                                                                   "end_factor": st.floats(0.0, 1.0),
                                                                   "total_iters": st.integers(1, 50)}),
    "CosineAnnealingLR": lambda groups: st.fixed_dictionaries({"T_max": st.integers(1, 60), "eta_min": ETA_MINS}),
    "PolynomialLR": lambda groups: st.fixed_dictionaries({}, optional={"total_iters": st.integers(1, 50),
                                                                       "power": st.floats(0.5, 3.0)}),
    "MultiplicativeLR": lambda groups: st.fixed_dictionaries({"lr_lambda": per_group(LAMBDAS, groups)}),
}


def chainable(groups):
    """The recipe of any one of the schedulers that compose."""
    return st.one_of([st.tuples(st.just(name), options(groups)) for name, options in CHAINABLE.items()])


def cyclic_options(groups):
    return st.fixed_dictionaries(
        {"base_lr": per_group(st.floats(1e-4, 1e-2), groups), "max_lr": per_group(st.floats(0.02, 1.0), groups)},
        optional={"step_size_up": st.integers(1, 30), "step_size_down": st.one_of(st.none(), st.integers(1, 30)),
                  "mode": st.sampled_from(["triangular", "triangular2", "exp_range"]), "gamma": st.floats(0.9, 1.0),
                  "scale_fn": st.sampled_from([None, Fresh(lambda: lambda x: 1 / (1 + 0.1 * x), "1/(1+0.1x)")]),
                  "scale_mode": st.sampled_from(["cycle", "iterations"]), "cycle_momentum": st.booleans(),
                  "base_momentum": per_group(st.floats(0.5, 0.8), groups),
                  "max_momentum": per_group(st.floats(0.85, 0.99), groups)})


def one_cycle_options(groups):
    return st.fixed_dictionaries(
        {"max_lr": per_group(st.floats(0.01, 1.0), groups), "total_steps": st.integers(STEPS, 150)},
        optional={"pct_start": st.floats(0.05, 0.45), "anneal_strategy": st.sampled_from(["cos", "linear"]),
                  "cycle_momentum": st.booleans(), "base_momentum": per_group(st.floats(0.5, 0.85), groups),
                  "max_momentum": per_group(st.floats(0.86, 0.99), groups), "div_factor": st.floats(2.0, 100.0),
                  "final_div_factor": st.floats(10.0, 1e5), "three_phase": st.booleans()})


RECIPES = {
    "LambdaLR": lambda groups: st.fixed_dictionaries({"lr_lambda": per_group(LAMBDAS, groups)}),
    "CosineAnnealingWarmRestarts": lambda groups: st.fixed_dictionaries(
        {"T_0": st.integers(1, 30)}, optional={"T_mult": st.integers(1, 3), "eta_min": ETA_MINS}),
    "CyclicLR": cyclic_options,
    "OneCycleLR": one_cycle_options,
    "SequentialLR": lambda groups: st.integers(1, 3).flatmap(lambda milestones: st.fixed_dictionaries({
        "schedulers": st.lists(chainable(groups), min_size=milestones + 1, max_size=milestones + 1),
        "milestones": st.lists(st.integers(1, STEPS - 1), min_size=milestones, max_size=milestones,
                               unique=True).map(sorted)})),
    "ChainedScheduler": lambda groups: st.fixed_dictionaries(
        {"schedulers": st.lists(chainable(groups), min_size=1, max_size=3)}),
}
RECIPES.update(CHAINABLE)
NAMES = tuple(RECIPES)
CYCLES_MOMENTUM = ("CyclicLR", "OneCycleLR")
WITH_CLOSED_FORM = ("StepLR", "MultiStepLR", "ExponentialLR", "ConstantLR", "LinearLR", "CosineAnnealingLR",
                    "PolynomialLR")


@st.composite
def scenarios(draw, name):
    """``(recipe, lrs, optimizer name)``: one or two parameter groups with different rates; an Adam-like
    optimizer (momentum as betas[0]) for the schedulers that cycle momentum."""
    lrs = draw(st.lists(st.floats(1e-3, 1.0), min_size=1, max_size=2, unique=True))
    options = draw(RECIPES[name](len(lrs)))
    optimizer_name = draw(st.sampled_from(["SGD", "Adam"])) if name in CYCLES_MOMENTUM else "SGD"
    return (name, options), lrs, optimizer_name


# -- schedules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_schedule_matches_torch_step_for_step(name, data):
    pair = SchedulerPair(*data.draw(scenarios(name)))
    pair.assert_same_rates("after construction")
    pair.assert_same_state("after construction")
    pair.run(STEPS)
    pair.assert_same_state(f"after {STEPS} steps")


@pytest.mark.parametrize("side", [0, 1], ids=["torch_to_minitorch", "minitorch_to_torch"])
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_state_dict_loaded_from_the_other_library_resumes_the_schedule(name, side, data):
    pair = SchedulerPair(*data.draw(scenarios(name)))
    loaded_at = data.draw(st.integers(1, STEPS - 1), label="loaded_at")
    pair.run(loaded_at)
    pair.resume_on_fresh_side(side)
    pair.assert_same_state("after loading")
    pair.run(STEPS - loaded_at, "after loading: ")
    pair.assert_same_state(f"after {STEPS} steps")


# -- step(epoch): the deprecated closed form -----------------------------------------------------------------


def recorded(action):
    """``action()``'s result or the exception it raised (type and message), and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome = action()
        except Exception as error:  # noqa: BLE001 -- the exception itself is what we compare
            outcome = (type(error), str(error))
    return outcome, [(warning.category, str(warning.message)) for warning in caught]


def assert_same_outcome(ours, theirs):
    """Both libraries raised the same exception (type, message prefix) and gave the same warnings."""
    (our_outcome, our_warnings), (their_outcome, their_warnings) = ours, theirs
    if isinstance(their_outcome, tuple) and isinstance(their_outcome[0], type):
        assert isinstance(our_outcome, tuple), f"torch raised {their_outcome}, minitorch did not"
        assert our_outcome[0] is their_outcome[0], f"{our_outcome} but torch: {their_outcome}"
        assert our_outcome[1][:40] == their_outcome[1][:40], f"{our_outcome[1]!r} but torch: {their_outcome[1]!r}"
    assert our_warnings == their_warnings


@pytest.mark.parametrize("name", WITH_CLOSED_FORM + CYCLES_MOMENTUM)
@given(data=st.data())
def test_step_with_an_epoch_uses_the_closed_form_and_warns_like_torch(name, data):
    recipe, lrs, optimizer_name = data.draw(scenarios(name))
    pair = SchedulerPair(recipe, lrs, optimizer_name)
    highest = recipe[1]["total_steps"] if name == "OneCycleLR" else 2 * STEPS
    epochs = data.draw(st.lists(st.integers(0, highest), min_size=1, max_size=20), label="epochs")
    for epoch in epochs:
        for optimizer in pair.optimizers:
            optimizer.step()
        assert_same_outcome(*[recorded(lambda scheduler=scheduler: scheduler.step(epoch))
                              for scheduler in pair.schedulers])
        pair.assert_same_rates(f"step({epoch})")
    pair.assert_same_state("at the end")


@given(data=st.data())
def test_warm_restarts_follow_torch_through_fractional_and_mixed_epochs(data):
    recipe, lrs, _ = data.draw(scenarios("CosineAnnealingWarmRestarts"))
    pair = SchedulerPair(recipe, lrs)
    # a step per batch: epoch + batch / batches, then plain step() calls in between, as the docs show
    batches = data.draw(st.integers(1, 7), label="batches")
    epochs = [epoch + batch / batches for epoch in range(12) for batch in range(batches)]
    pair.run(len(epochs), "fractional ", epochs)
    pair.run(10, "plain after fractional: ")
    pair.assert_same_state("at the end")


# -- ReduceLROnPlateau -----------------------------------------------------------------------------------------


PLATEAU_OPTIONS = {
    "mode": st.sampled_from(["min", "max"]), "factor": st.floats(0.1, 0.9), "patience": st.integers(0, 5),
    "threshold": st.sampled_from([0.0, 1e-4, 0.05]), "threshold_mode": st.sampled_from(["rel", "abs"]),
    "cooldown": st.integers(0, 3), "eps": st.sampled_from([1e-8, 1e-3]),
}


@st.composite
def plateau_scenarios(draw):
    lrs = draw(st.lists(st.floats(1e-3, 1.0), min_size=1, max_size=2, unique=True))
    options = draw(st.fixed_dictionaries({}, optional={
        **PLATEAU_OPTIONS, "min_lr": per_group(st.sampled_from([0.0, 1e-4, 1e-2]), len(lrs))}))
    # few distinct values, so the metric stalls, repeats and improves by less than the threshold
    metrics = draw(st.lists(st.sampled_from([1.0, 0.99, 0.999, 0.5, 2.0, 1.02]), min_size=STEPS // 2,
                            max_size=STEPS // 2))
    return ("ReduceLROnPlateau", options), lrs, metrics


@given(scenario=plateau_scenarios(), loaded_at=st.integers(1, STEPS // 2 - 1))
def test_reduce_lr_on_plateau_follows_torch_on_a_metric_sequence(scenario, loaded_at):
    recipe, lrs, metrics = scenario
    pair = SchedulerPair(recipe, lrs)
    pair.assert_same_state("after construction")
    for index, metric in enumerate(metrics):
        if index == loaded_at:
            pair.resume_on_fresh_side(index % 2)
        for library, optimizer, scheduler in zip((minitorch, torch), pair.optimizers, pair.schedulers):
            optimizer.step()
            scheduler.step(library.tensor(metric) if index % 3 == 0 else metric)  # 0-dim tensors too
        pair.assert_same_rates(f"metric {index}")
        pair.assert_same_state(f"metric {index}")


# -- warnings ----------------------------------------------------------------------------------------------------


ORDERS = {
    "optimizer_first": ("optimizer", "scheduler", "optimizer", "scheduler"),
    "scheduler_first": ("scheduler", "optimizer", "scheduler"),
    "scheduler_twice_before_optimizer": ("scheduler", "scheduler", "optimizer", "scheduler"),
}


@pytest.mark.parametrize("order", ORDERS.values(), ids=list(ORDERS))
@pytest.mark.parametrize("name", ("StepLR", "CosineAnnealingLR", "OneCycleLR", "CosineAnnealingWarmRestarts"))
def test_scheduler_stepped_before_the_optimizer_warns_when_torch_does(name, order):
    recipes = {"StepLR": {"step_size": 2}, "CosineAnnealingLR": {"T_max": 5}, "OneCycleLR": {"max_lr": 0.5,
                                                                                           "total_steps": 10},
               "CosineAnnealingWarmRestarts": {"T_0": 3}}
    pair = SchedulerPair((name, recipes[name]), [0.1])
    for who in order:
        objects = pair.optimizers if who == "optimizer" else pair.schedulers
        assert_same_outcome(*[recorded(thing.step) for thing in objects])
    pair.assert_same_rates("at the end")


def test_get_lr_outside_step_warns_like_torch():
    pair = SchedulerPair(("ExponentialLR", {"gamma": 0.5}), [0.1, 0.2])
    outcomes = [recorded(scheduler.get_lr) for scheduler in pair.schedulers]
    assert_same_outcome(*outcomes)
    assert outcomes[0] == outcomes[1]


def test_tensor_learning_rate_is_filled_in_place_like_torch():
    optimizers = [library.optim.SGD([library.zeros(1, requires_grad=True)], lr=library.tensor(0.1, dtype=dtype))
                  for library, dtype in ((minitorch, minitorch.float64), (torch, torch.float64))]
    schedulers = [library.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.3)
                  for library, optimizer in zip((minitorch, torch), optimizers)]
    held = [optimizer.param_groups[0]["lr"] for optimizer in optimizers]
    for step in range(6):
        for optimizer, scheduler in zip(optimizers, schedulers):
            optimizer.step()
            scheduler.step()
        assert_same(schedulers[0].get_last_lr(), schedulers[1].get_last_lr(), what=f"step {step}")
        assert_same(held[0], held[1], what=f"step {step}: the group's own lr tensor")
        assert optimizers[0].param_groups[0]["lr"] is held[0]
    assert_same(schedulers[0].state_dict(), schedulers[1].state_dict())


# -- errors ------------------------------------------------------------------------------------------------------


INVALID = {
    "constant_factor_above_one": ("ConstantLR", {"factor": 1.5}),
    "linear_start_factor_zero": ("LinearLR", {"start_factor": 0.0}),
    "linear_end_factor_above_one": ("LinearLR", {"end_factor": 1.5}),
    "lambdas_fewer_than_groups": ("LambdaLR", {"lr_lambda": [Fresh(lambda: lambda epoch: 1.0, "one")]}),
    "multiplicative_lambda_not_callable": ("MultiplicativeLR", {"lr_lambda": 3}),
    "warm_restarts_T_0_zero": ("CosineAnnealingWarmRestarts", {"T_0": 0}),
    "warm_restarts_T_0_float": ("CosineAnnealingWarmRestarts", {"T_0": 2.5}),
    "warm_restarts_T_mult_zero": ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 0}),
    "warm_restarts_eta_min_string": ("CosineAnnealingWarmRestarts", {"T_0": 2, "eta_min": "0"}),
    "one_cycle_without_length": ("OneCycleLR", {"max_lr": 0.1}),
    "one_cycle_total_steps_zero": ("OneCycleLR", {"max_lr": 0.1, "total_steps": 0}),
    "one_cycle_epochs_zero": ("OneCycleLR", {"max_lr": 0.1, "epochs": 0, "steps_per_epoch": 3}),
    "one_cycle_steps_per_epoch_float": ("OneCycleLR", {"max_lr": 0.1, "epochs": 2, "steps_per_epoch": 1.5}),
    "one_cycle_pct_start_above_one": ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "pct_start": 1.5}),
    "one_cycle_pct_start_int": ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "pct_start": 0}),
    "one_cycle_anneal_strategy": ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "anneal_strategy": "exp"}),
    "one_cycle_max_lr_list_too_long": ("OneCycleLR", {"max_lr": [0.1, 0.2, 0.3], "total_steps": 10}),
    "cyclic_mode": ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "mode": "square"}),
    "cyclic_base_lr_list_too_short": ("CyclicLR", {"base_lr": [0.01], "max_lr": 0.1}),
    "plateau_factor_one": ("ReduceLROnPlateau", {"factor": 1.0}),
    "plateau_mode": ("ReduceLROnPlateau", {"mode": "middle"}),
    "plateau_threshold_mode": ("ReduceLROnPlateau", {"threshold_mode": "ratio"}),
    "plateau_min_lr_list_too_short": ("ReduceLROnPlateau", {"min_lr": [0.0]}),
    "resume_without_initial_lr": ("StepLR", {"step_size": 2, "last_epoch": 3}),
    "sequential_without_schedulers": ("SequentialLR", {"schedulers": [], "milestones": []}),
    "sequential_milestones_miscounted": ("SequentialLR", {"schedulers": [("ExponentialLR", {"gamma": 0.9})],
                                                          "milestones": [3]}),
    "sequential_with_plateau": ("SequentialLR", {"schedulers": [("ReduceLROnPlateau", {}),
                                                                ("ExponentialLR", {"gamma": 0.9})],
                                                 "milestones": [3]}),
    "chained_without_schedulers": ("ChainedScheduler", {"schedulers": []}),
    "chained_with_plateau": ("ChainedScheduler", {"schedulers": [("ReduceLROnPlateau", {})]}),
}


@pytest.mark.parametrize("recipe", INVALID.values(), ids=list(INVALID))
def test_invalid_arguments_raise_like_torch(recipe):
    optimizers = make_optimizers("SGD", [0.1, 0.2], {"momentum": 0.9})
    outcomes = [recorded(lambda library=library, optimizer=optimizer: build(library, optimizer, recipe))
                for library, optimizer in zip((minitorch, torch), optimizers)]
    assert isinstance(outcomes[1][0], tuple), "torch accepted it: the case tests nothing"
    assert_same_outcome(*outcomes)


@pytest.mark.parametrize("name", CYCLES_MOMENTUM)
def test_cycling_momentum_of_an_optimizer_without_momentum_raises_like_torch(name):
    options = {"CyclicLR": {"base_lr": 0.01, "max_lr": 0.1}, "OneCycleLR": {"max_lr": 0.1, "total_steps": 10}}[name]
    optimizers = [library.optim.Adagrad([library.zeros(1, requires_grad=True)]) for library in (minitorch, torch)]
    assert_same_outcome(*[recorded(lambda library=library, optimizer=optimizer:
                                   build(library, optimizer, (name, options)))
                          for library, optimizer in zip((minitorch, torch), optimizers)])


def test_one_cycle_stepped_past_its_total_steps_raises_like_torch():
    pair = SchedulerPair(("OneCycleLR", {"max_lr": 0.5, "total_steps": 3}), [0.1])
    pair.run(3)
    assert_same_outcome(*[recorded(scheduler.step) for scheduler in pair.schedulers])


def test_scheduler_of_a_non_optimizer_raises_like_torch():
    assert_same_outcome(*[recorded(lambda library=library: library.optim.lr_scheduler.StepLR(object(), 3))
                          for library in (minitorch, torch)])
