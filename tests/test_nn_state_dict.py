"""One model holding every layer with state: its state_dict has exactly PyTorch's keys, order,
shapes and dtypes, and weights move both ways between the frameworks."""
import numpy as np
import torch

import minitorch
from tests.helpers import assert_same, assert_same_state_dict, copy_weights_from_torch, to_numpy


def every_layer(L):
    """The same model in either library (``L`` is torch or minitorch)."""
    nn = L.nn
    return nn.ModuleDict({
        "linear": nn.Linear(4, 3), "bilinear": nn.Bilinear(2, 3, 4), "embedding": nn.Embedding(5, 3, padding_idx=0),
        "conv1d": nn.Conv1d(2, 4, 3), "conv2d": nn.Conv2d(2, 4, 3, groups=2, bias=False),
        "conv_transpose1d": nn.ConvTranspose1d(2, 3, 3), "conv_transpose2d": nn.ConvTranspose2d(4, 2, 2, stride=2),
        "batch_norm1d": nn.BatchNorm1d(3), "batch_norm2d": nn.BatchNorm2d(3, momentum=None),
        "layer_norm": nn.LayerNorm([3, 4]), "group_norm": nn.GroupNorm(2, 4),
        "instance_norm2d": nn.InstanceNorm2d(3, affine=True, track_running_stats=True), "prelu": nn.PReLU(3),
        "rnn": nn.RNN(3, 4, num_layers=2, nonlinearity="relu"), "lstm": nn.LSTM(3, 4, bidirectional=True),
        "gru": nn.GRU(3, 4, batch_first=True), "rnn_cell": nn.RNNCell(3, 2), "lstm_cell": nn.LSTMCell(3, 2),
        "gru_cell": nn.GRUCell(3, 2),
        "attention": nn.MultiheadAttention(8, 2, kdim=4, vdim=6),
        "transformer": nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                      dim_feedforward=16),
        "sequential": nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.ModuleList([nn.Linear(2, 1)])),
        "parameter_list": nn.ParameterList([nn.Parameter(L.zeros(2)), nn.Parameter(L.ones(1, 2))]),
    })


def test_state_dict_of_a_model_with_every_layer_equals_torchs():
    assert_same_state_dict(every_layer(minitorch), every_layer(torch))


def test_weights_move_from_torch_to_minitorch_and_back_unchanged():
    ours, theirs = every_layer(minitorch), every_layer(torch)
    copy_weights_from_torch(ours, theirs)
    for key, value in theirs.state_dict().items():
        assert_same(ours.state_dict()[key], value, what=key)
    back = every_layer(torch)
    back.load_state_dict({key: torch.tensor(to_numpy(value)) for key, value in ours.state_dict().items()})
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(to_numpy(back.state_dict()[key]), to_numpy(value), err_msg=key)
