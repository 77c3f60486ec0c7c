"""Dropout: the masks are random (and not PyTorch's), so these tests check their statistics, that the
gradient is the same mask, eval mode, seeding, whole-channel masks, and PyTorch's errors."""
import warnings

import numpy as np
import pytest
import torch

import minitorch
import minitorch.nn.functional as F
from tests.helpers import check_program

CHANNEL_DROPOUTS = [("dropout1d", (8, 50, 3)), ("dropout1d", (50, 3)), ("dropout2d", (8, 50, 3, 2)),
                    ("dropout3d", (8, 50, 2, 2, 2)), ("dropout3d", (50, 2, 2, 2)),
                    ("feature_alpha_dropout", (8, 50, 3))]


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_p_and_preserves_the_mean(p):
    minitorch.manual_seed(0)
    out = F.dropout(minitorch.ones(400, 500), p).numpy()
    n = out.size
    assert set(np.unique(out)) <= {0.0, np.float32(1 / (1 - p))}
    assert abs((out == 0).mean() - p) < 5 * np.sqrt(p * (1 - p) / n)  # five standard errors
    assert abs(out.mean() - 1) < 5 * np.sqrt(p / (1 - p) / n)


@pytest.mark.parametrize("name, p", [("dropout", 0.3), ("dropout", 1.0), ("alpha_dropout", 0.3),
                                     ("dropout2d", 0.4), ("feature_alpha_dropout", 0.4)])
def test_dropout_gradient_is_its_mask_times_the_upstream_gradient(name, p):
    x = minitorch.randn(6, 5, 4, 1, dtype=minitorch.float64, requires_grad=True)
    minitorch.manual_seed(1)
    y = getattr(F, name)(x, p, training=True)
    # y = x * noise + shift, with noise and shift fixed by the mask: recover noise from two inputs' difference
    minitorch.manual_seed(1)
    shifted = getattr(F, name)(x.detach() + 1, p, training=True)
    noise = shifted - y.detach()
    upstream = minitorch.randn(6, 5, 4, 1, dtype=minitorch.float64)
    y.backward(upstream)
    np.testing.assert_allclose(x.grad.numpy(), (upstream * noise).numpy(), rtol=1e-12, atol=1e-12)
    if name == "dropout" and p < 1:
        kept = y.detach().numpy() != 0
        np.testing.assert_allclose(noise.numpy(), kept / (1 - p), rtol=1e-12)


@pytest.mark.parametrize("name, shape", [("Dropout", (2, 3)), ("Dropout1d", (2, 3, 4)), ("Dropout2d", (2, 3, 4, 4)),
                                         ("Dropout3d", (2, 3, 4, 4, 4)), ("AlphaDropout", (2, 3)),
                                         ("FeatureAlphaDropout", (2, 3, 4))])
def test_dropout_layer_is_the_identity_in_eval_mode_and_prints_like_torch(name, shape):
    layer = getattr(minitorch.nn, name)(0.3).eval()
    x = minitorch.randn(*shape)
    assert layer(x) is x
    assert F.dropout(x, 0.3, training=False) is x and F.dropout(x, 0.0) is x
    for args in [(), (0.2,), (0.7, True)]:
        assert repr(getattr(minitorch.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def test_dropout_masks_repeat_under_the_same_seed_and_differ_otherwise():
    x = minitorch.ones(100, 100)
    minitorch.manual_seed(7)
    first, second = minitorch.nn.Dropout(0.5)(x), minitorch.nn.Dropout(0.5)(x)
    minitorch.manual_seed(7)
    again = minitorch.nn.Dropout(0.5)(x)
    assert first.equal(again) and not first.equal(second)


@pytest.mark.parametrize("name, shape", CHANNEL_DROPOUTS)
def test_channel_dropout_zeroes_whole_channels(name, shape):
    minitorch.manual_seed(2)
    x = minitorch.rand(*shape) + 1  # no zeros of its own
    out = getattr(F, name)(x, 0.5, training=True).numpy()
    batched = shape if len(shape) in (3, 5) or name == "dropout2d" else (1,) + shape
    per_channel = out.reshape(batched[0], batched[1], -1)
    dropped = (per_channel == per_channel[..., :1]).all(axis=-1) if "alpha" in name else (per_channel == 0).all(-1)
    assert ((per_channel != 0).all(-1) | dropped).all()
    assert 0.3 < dropped.mean() < 0.7


def test_alpha_dropout_keeps_a_standard_normal_input_standard():
    minitorch.manual_seed(3)
    out = F.alpha_dropout(minitorch.randn(500, 400, dtype=minitorch.float64), 0.2, training=True).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.02
    values, counts = np.unique(out, return_counts=True)
    assert abs(counts.max() / out.size - 0.2) < 0.01  # the dropped ones all take one value


def test_inplace_dropout_writes_into_its_input():
    minitorch.manual_seed(4)
    x = minitorch.ones(50, 50)
    assert F.dropout(x, 0.5, inplace=True) is x and (x.numpy() == 0).any()
    y = minitorch.ones(4, 50, 3)
    assert F.dropout1d(y[0], 0.5, inplace=True) is not None and set(np.unique(y.numpy())) <= {0.0, 1.0, 2.0}


def test_dropout2d_of_a_3d_input_warns_and_drops_channels_of_n_c_l():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = F.dropout2d(minitorch.ones(6, 40, 3), 0.5).numpy()
    assert any("assuming that channel-wise 1D dropout" in str(w.message) for w in caught)
    assert ((out == out[..., :1]).all())


DROPOUT_ERRORS = [
    ("p above 1", lambda lib: lib.nn.functional.dropout(lib.ones(3), 1.5)),
    ("p below 0", lambda lib: lib.nn.functional.dropout(lib.ones(3), -0.1)),
    ("p above 1 in eval", lambda lib: lib.nn.functional.dropout(lib.ones(3), 1.5, training=False)),
    ("layer with p above 1", lambda lib: lib.nn.Dropout(1.2)),
    ("dropout1d of a 4-D input", lambda lib: lib.nn.functional.dropout1d(lib.ones(2, 3, 4, 5))),
    ("dropout1d p above 1", lambda lib: lib.nn.functional.dropout1d(lib.ones(2, 3, 4), 1.2)),
    ("alpha_dropout p above 1", lambda lib: lib.nn.functional.alpha_dropout(lib.ones(2, 3), 1.2)),
    ("dropout of integers", lambda lib: lib.nn.functional.dropout(lib.arange(4), 0.5)),
]


@pytest.mark.parametrize("what, program", DROPOUT_ERRORS, ids=[what for what, _ in DROPOUT_ERRORS])
def test_dropout_errors_match_torch(what, program):
    check_program(program)


def test_dropout_with_p_one_gives_zeros_like_torch():
    check_program(lambda lib: lib.nn.functional.dropout(lib.ones(3), 1.0))
