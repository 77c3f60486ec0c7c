"""Train a small TransformerEncoder to sort sequences of digits and report its test accuracy.

The task is generated, so nothing is downloaded: each input is a random sequence of ``--length``
digits (tokens 0 to ``--vocab - 1``), and the target at every position is the token the sorted
sequence holds there. An encoder (no decoder, no causal mask) reads the whole sequence at once and
predicts every position in parallel: a cross-entropy per position.

    python3 examples/transformer.py                      # minitorch, a few minutes on 2 CPU cores
    python3 examples/transformer.py --framework torch    # the same program on PyTorch
    python3 examples/transformer.py --compare            # both, from the same weights, one plot

Reports the per-token accuracy and the whole-sequence accuracy (every position right) on the test
set. Dropout is 0 by default, so ``--compare`` gives both frameworks the same computation (their
random dropout masks would differ). Saves ``checkpoint.pt`` and ``curves.png`` to ``--out``.
"""
import math
import os
import sys

import numpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py and metrics.py, run from anywhere

import common  # noqa: E402
import metrics  # noqa: E402


def make_sequences(count: int, length: int, vocab: int, generator: numpy.random.Generator):
    """``count`` random digit sequences and, per position, the token of the sorted sequence (int64)."""
    inputs = generator.integers(0, vocab, size=(count, length)).astype(numpy.int64)
    return inputs, numpy.sort(inputs, axis=1)


def load_data(args):
    """Train and test sets, drawn from ``args.seed`` (test sequences from a separate stream)."""
    train_inputs, train_targets = make_sequences(args.train_size, args.length, args.vocab,
                                                 numpy.random.default_rng([args.seed, 0]))
    test_inputs, test_targets = make_sequences(args.test_size, args.length, args.vocab,
                                               numpy.random.default_rng([args.seed, 1]))
    return train_inputs, train_targets, test_inputs, test_targets


def sinusoidal_table(length: int, d_model: int) -> numpy.ndarray:
    """The fixed positional encoding of "Attention Is All You Need": sin on even, cos on odd features."""
    positions = numpy.arange(length)[:, None]
    frequencies = numpy.exp(numpy.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
    table = numpy.zeros((length, d_model), dtype=numpy.float32)
    table[:, 0::2] = numpy.sin(positions * frequencies)
    table[:, 1::2] = numpy.cos(positions * frequencies)
    return table


def build_model(torch, args):
    """Token embedding + positional embedding, a TransformerEncoder, a linear head to the vocabulary."""
    nn = torch.nn

    class SortingTransformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(args.vocab, args.d_model)
            if args.positions == "learned":
                self.position = nn.Parameter(torch.randn(1, args.length, args.d_model) * 0.02)
            else:  # a buffer: saved in the checkpoint, never trained
                self.register_buffer("position", torch.from_numpy(sinusoidal_table(args.length, args.d_model))[None])
            layer = nn.TransformerEncoderLayer(args.d_model, args.heads, dim_feedforward=args.feedforward,
                                               dropout=args.dropout, batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, args.layers, norm=nn.LayerNorm(args.d_model),
                                                 enable_nested_tensor=False)
            self.head = nn.Linear(args.d_model, args.vocab)

        def forward(self, tokens):  # [batch, length] token ids -> [batch, length, vocab] logits
            x = self.embedding(tokens) * math.sqrt(args.d_model) + self.position
            return self.head(self.encoder(x))

    return SortingTransformer()


def make_training(torch, args, device):
    """Model, loss, optimizer and scheduler, with the model's weights drawn from ``args.seed``."""
    torch.manual_seed(args.seed)
    model = build_model(torch, args).to(device)
    cross_entropy = torch.nn.CrossEntropyLoss()

    def loss_function(outputs, targets):
        """The mean cross-entropy over every position of every sequence."""
        return cross_entropy(outputs.reshape(-1, args.vocab), targets.reshape(-1))

    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    return model, loss_function, optimizer, scheduler


def epoch_loader(torch, args, train_inputs, train_targets, epoch: int):
    """The training batches of one epoch, in an order fixed by (seed, epoch)."""
    order = common.batch_order(len(train_inputs), args.seed, epoch)
    return common.make_loader(torch, train_inputs, train_targets, args.batch_size, order)


def sequence_metrics(targets: numpy.ndarray, outputs: numpy.ndarray) -> tuple[float, float]:
    """Per-token accuracy and whole-sequence accuracy (all positions right) from logits ``[N, L, V]``."""
    predictions = outputs.argmax(axis=-1)
    return metrics.accuracy(targets, predictions), float((predictions == targets).all(axis=1).mean())


def train(args):
    torch = common.load_framework(args.framework)
    device = common.pick_device(torch, args.device)
    train_inputs, train_targets, test_inputs, test_targets = load_data(args)
    test_loader = common.make_loader(torch, test_inputs, test_targets, 500)
    max_batches = common.SMOKE_BATCHES if args.smoke else None

    model, loss_function, optimizer, scheduler = make_training(torch, args, device)
    start_epoch, history = 0, {"train_loss": [], "sequence accuracy": [], "token accuracy": []}
    if args.resume:
        start_epoch, history = common.load_checkpoint(torch, args.resume, model, optimizer, scheduler=scheduler)
        print(f"resumed from {args.resume} after epoch {start_epoch}")
    print(f"{args.framework} on {device}: sorting {args.length} digits of {args.vocab}; "
          f"{len(train_inputs)} training sequences, {len(test_inputs)} test sequences")

    def evaluate():
        outputs, targets = common.predict(torch, model, test_loader, device, max_batches)
        token_accuracy, sequence_accuracy = sequence_metrics(targets, outputs)
        return {"sequence accuracy": sequence_accuracy, "token accuracy": token_accuracy}

    with common.Timer() as total:
        common.fit(model, loss_function, optimizer, device, args.epochs, start_epoch, history,
                   lambda epoch: epoch_loader(torch, args, train_inputs, train_targets, epoch), evaluate,
                   max_batches, scheduler)

    outputs, targets = common.predict(torch, model, test_loader, device, max_batches)
    token_accuracy, sequence_accuracy = sequence_metrics(targets, outputs)
    example_input = test_inputs[0]
    example_output = outputs[0].argmax(axis=-1)
    print(f"example: {' '.join(map(str, example_input))}  ->  {' '.join(map(str, example_output))}")
    print(f"test token accuracy {token_accuracy:.4f}  test sequence accuracy {sequence_accuracy:.4f}  "
          f"training time {total.seconds:.1f} s")

    common.save_run(torch, args.out, model, optimizer, args.epochs, history, "sequence accuracy", scheduler=scheduler)


def first_epoch_losses(args, train_inputs, train_targets):
    """For ``--compare``: one epoch's per-step losses on a framework, from given (or freshly drawn) weights."""
    return common.first_epoch_losses(
        args, make_training, lambda torch: epoch_loader(torch, args, train_inputs, train_targets, epoch=0))


def make_parser():
    """The shared flags of common.py plus the task's and the model's sizes."""
    parser = common.make_parser(__doc__.splitlines()[0], epochs=12, batch_size=128, lr=2e-3, out="runs/transformer")
    parser.add_argument("--length", type=int, default=8, help="digits per sequence (default: %(default)s)")
    parser.add_argument("--vocab", type=int, default=10, help="number of distinct digits (default: %(default)s)")
    parser.add_argument("--train-size", type=int, default=10000, help="training sequences (default: %(default)s)")
    parser.add_argument("--test-size", type=int, default=2000, help="test sequences (default: %(default)s)")
    parser.add_argument("--d-model", type=int, default=64, help="embedding width (default: %(default)s)")
    parser.add_argument("--heads", type=int, default=4, help="attention heads (default: %(default)s)")
    parser.add_argument("--layers", type=int, default=2, help="encoder layers (default: %(default)s)")
    parser.add_argument("--feedforward", type=int, default=128,
                        help="hidden width of each layer's feed-forward network (default: %(default)s)")
    parser.add_argument("--dropout", type=float, default=0.0,
                        help="dropout in the encoder; --compare forces 0 (default: %(default)s)")
    parser.add_argument("--positions", choices=("learned", "sinusoidal"), default="learned",
                        help="positional embedding (default: %(default)s)")
    return parser


def main(argv=None):
    args = common.parse_args(make_parser(), argv)
    if args.compare:
        # The two frameworks draw different dropout masks: compare the deterministic computation.
        args.dropout = 0.0
        train_inputs, train_targets, *_ = load_data(args)
        common.compare(args, first_epoch_losses(args, train_inputs, train_targets))
    else:
        train(args)


if __name__ == "__main__":
    main()
