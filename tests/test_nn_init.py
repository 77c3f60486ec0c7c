"""``nn.init`` against PyTorch: gains and fans exactly; random initialisers by their statistics on
large tensors (the draws differ from PyTorch's, the distributions must not); deterministic ones
exactly; errors by type."""
import math

import numpy as np
import pytest
import torch

import minitorch
from tests.helpers import check_program, to_numpy

GAINS = [("linear", None), ("conv2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
         ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None),
         ("leaky_relu", "steep"), ("leaky_relu", True), ("gelu", None)]


@pytest.mark.parametrize("nonlinearity,param", GAINS)
def test_calculate_gain_matches_torch(nonlinearity, param):
    check_program(lambda L: L.nn.init.calculate_gain(nonlinearity, param))


@pytest.mark.parametrize("shape", [(3, 4), (5, 3, 2), (6, 2, 3, 3), (2, 1, 1, 1, 4), (0, 3), (4,), ()])
def test_fan_in_and_fan_out_match_torch(shape):
    check_program(lambda L: list(L.nn.init._calculate_fan_in_and_fan_out(L.empty(shape))))


SHAPE = (128, 96, 3, 3)  # 110,592 draws: the sample statistics are within about 1% of the truth
FAN_IN, FAN_OUT = 96 * 9, 128 * 9


def _uniform(low, high):
    """(mean, std, bounds) of U(low, high)."""
    return (low + high) / 2, (high - low) / math.sqrt(12), (low, high)


def _symmetric_uniform(std):
    bound = math.sqrt(3) * std
    return _uniform(-bound, bound)


def _truncated_normal(mean, std, low, high):
    """(mean, std, bounds) of N(mean, std²) truncated to [low, high]."""
    alpha, beta = (low - mean) / std, (high - mean) / std
    density = [math.exp(-x * x / 2) / math.sqrt(2 * math.pi) for x in (alpha, beta)]
    mass = (math.erf(beta / math.sqrt(2)) - math.erf(alpha / math.sqrt(2))) / 2
    shift = (density[0] - density[1]) / mass
    variance = 1 + (alpha * density[0] - beta * density[1]) / mass - shift ** 2
    return mean + std * shift, std * math.sqrt(variance), (low, high)


# each initialiser, and the (mean, std, bounds or None) its formula gives for SHAPE
RANDOM_INITIALISERS = {
    "uniform": (lambda t: minitorch.nn.init.uniform_(t, -0.5, 2.0), _uniform(-0.5, 2.0)),
    "normal": (lambda t: minitorch.nn.init.normal_(t, 1.5, 0.3), (1.5, 0.3, None)),
    "trunc_normal": (lambda t: minitorch.nn.init.trunc_normal_(t, 0.2, 1.0, a=-1.0, b=0.5),
                     _truncated_normal(0.2, 1.0, -1.0, 0.5)),
    "trunc_normal_in_a_tail": (lambda t: minitorch.nn.init.trunc_normal_(t, 0.0, 1.0, a=1.0, b=3.0),
                               _truncated_normal(0.0, 1.0, 1.0, 3.0)),
    "xavier_uniform": (lambda t: minitorch.nn.init.xavier_uniform_(t, gain=2.0),
                       _symmetric_uniform(2.0 * math.sqrt(2 / (FAN_IN + FAN_OUT)))),
    "xavier_normal": (lambda t: minitorch.nn.init.xavier_normal_(t), (0.0, math.sqrt(2 / (FAN_IN + FAN_OUT)), None)),
    "kaiming_uniform_linear_default": (lambda t: minitorch.nn.init.kaiming_uniform_(t, a=math.sqrt(5)),
                                       _uniform(-1 / math.sqrt(FAN_IN), 1 / math.sqrt(FAN_IN))),
    "kaiming_uniform_relu_fan_out": (lambda t: minitorch.nn.init.kaiming_uniform_(t, mode="fan_out",
                                                                                   nonlinearity="relu"),
                                     _symmetric_uniform(math.sqrt(2 / FAN_OUT))),
    "kaiming_normal": (lambda t: minitorch.nn.init.kaiming_normal_(t, a=0.1),
                       (0.0, math.sqrt(2 / 1.01) / math.sqrt(FAN_IN), None)),
    "kaiming_normal_fan_out_tanh": (lambda t: minitorch.nn.init.kaiming_normal_(t, mode="FAN_OUT",
                                                                                 nonlinearity="tanh"),
                                    (0.0, 5 / 3 / math.sqrt(FAN_OUT), None)),
}


@pytest.mark.parametrize("initialise,expected", RANDOM_INITIALISERS.values(), ids=RANDOM_INITIALISERS.keys())
@pytest.mark.parametrize("dtype", [minitorch.float32, minitorch.float64])
def test_random_initialisers_have_the_distribution_of_their_formula(initialise, expected, dtype):
    expected_mean, expected_std, bounds = expected
    minitorch.manual_seed(0)
    tensor = minitorch.empty(SHAPE, dtype=dtype)
    assert initialise(tensor) is tensor and tensor.dtype == dtype
    values = to_numpy(tensor).astype(np.float64)
    assert abs(values.mean() - expected_mean) < 6 * expected_std / math.sqrt(values.size), values.mean()
    assert abs(values.std() / expected_std - 1) < 0.02, values.std()
    if bounds is not None:  # inside the bounds, and reaching them
        low, high = bounds
        assert low <= values.min() < low + 0.01 * (high - low) and high - 0.01 * (high - low) < values.max() <= high


def test_uniform_initialisers_stay_inside_their_bounds():
    tensor = minitorch.empty(64, 48)
    bound = 1 / math.sqrt(48)  # kaiming_uniform_(a=sqrt(5)): Linear's default
    values = to_numpy(minitorch.nn.init.kaiming_uniform_(tensor, a=math.sqrt(5)))
    assert values.min() >= -bound and values.max() <= bound and values.max() > 0.95 * bound
    values = to_numpy(minitorch.nn.init.trunc_normal_(minitorch.empty(10000), mean=5.0, std=0.5, a=4.9, b=5.0))
    assert values.min() >= 4.9 and values.max() <= 5.0


DETERMINISTIC = {
    "constant": lambda L: L.nn.init.constant_(L.empty(2, 3), 0.25),
    "ones": lambda L: L.nn.init.ones_(L.empty(3)),
    "zeros": lambda L: L.nn.init.zeros_(L.empty(2, 2, dtype=L.float64)),
    "eye_square": lambda L: L.nn.init.eye_(L.empty(3, 3)),
    "eye_wide": lambda L: L.nn.init.eye_(L.empty(2, 4)),
    "eye_of_3d_raises": lambda L: L.nn.init.eye_(L.empty(2, 2, 2)),
    "dirac_3d": lambda L: L.nn.init.dirac_(L.empty(3, 2, 3)),
    "dirac_4d_groups": lambda L: L.nn.init.dirac_(L.empty(4, 3, 3, 2), groups=2),
    "dirac_5d": lambda L: L.nn.init.dirac_(L.empty(2, 2, 1, 3, 3)),
    "dirac_of_2d_raises": lambda L: L.nn.init.dirac_(L.empty(2, 2)),
    "dirac_groups_must_divide": lambda L: L.nn.init.dirac_(L.empty(3, 2, 3), groups=2),
    "xavier_of_1d_raises": lambda L: L.nn.init.xavier_uniform_(L.empty(4)),
    "kaiming_of_1d_raises": lambda L: L.nn.init.kaiming_normal_(L.empty(4)),
    "kaiming_bad_mode_raises": lambda L: L.nn.init.kaiming_uniform_(L.empty(2, 2), mode="fan_avg"),
    "kaiming_bad_nonlinearity_raises": lambda L: L.nn.init.kaiming_uniform_(L.empty(2, 2), nonlinearity="gelu"),
    "orthogonal_of_1d_raises": lambda L: L.nn.init.orthogonal_(L.empty(4)),
}


@pytest.mark.parametrize("initialise", DETERMINISTIC.values(), ids=DETERMINISTIC.keys())
def test_deterministic_initialisers_and_errors_match_torch(initialise):
    check_program(initialise)


@pytest.mark.parametrize("shape,gain", [((3, 5), 1.0), ((5, 3), 2.0), ((4, 2, 3), 0.5), ((6, 6), 1.0)])
def test_orthogonal_gives_orthonormal_rows_or_columns_times_gain(shape, gain):
    minitorch.manual_seed(0)
    values = to_numpy(minitorch.nn.init.orthogonal_(minitorch.empty(shape, dtype=minitorch.float64), gain))
    matrix = values.reshape(shape[0], -1)
    gram = matrix @ matrix.T if matrix.shape[0] <= matrix.shape[1] else matrix.T @ matrix
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(len(gram)), atol=1e-10)


def test_orthogonal_draws_are_not_all_the_same_rotation():
    """The sign fix makes Q uniformly (Haar) distributed: entries of a 2x2 Q have mean 0."""
    minitorch.manual_seed(0)
    firsts = [minitorch.nn.init.orthogonal_(minitorch.empty(2, 2))[0, 0].item() for _ in range(400)]
    assert abs(np.mean(firsts)) < 0.1


INITIALISERS_WITH_GENERATOR = ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
                               "kaiming_uniform_", "kaiming_normal_", "orthogonal_"]


@pytest.mark.parametrize("name", INITIALISERS_WITH_GENERATOR)
def test_initialisers_draw_from_the_given_generator_without_recording_a_graph(name):
    initialise = getattr(minitorch.nn.init, name)
    minitorch.manual_seed(0)
    expected_global_draw = to_numpy(minitorch.rand(3))
    results = []
    for _ in range(2):
        minitorch.manual_seed(0)
        generator = minitorch.Generator().manual_seed(7)
        parameter = minitorch.nn.Parameter(minitorch.empty(4, 5))
        assert initialise(parameter, generator=generator) is parameter
        assert parameter.grad_fn is None and parameter.requires_grad and parameter.is_leaf
        results.append(to_numpy(parameter))
        # the private generator left the global stream alone
        np.testing.assert_array_equal(to_numpy(minitorch.rand(3)), expected_global_draw)
    np.testing.assert_array_equal(results[0], results[1])


def test_kaiming_of_an_empty_tensor_warns_and_does_nothing_like_torch():
    for L in (torch, minitorch):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            L.nn.init.kaiming_uniform_(L.empty(0, 3))


def test_trunc_normal_warns_when_the_mean_is_far_from_the_interval_like_torch():
    for L in (torch, minitorch):
        with pytest.warns(UserWarning, match="mean is more than 2 std from"):
            L.nn.init.trunc_normal_(L.empty(10), mean=10.0, std=1.0, a=-2.0, b=2.0)
