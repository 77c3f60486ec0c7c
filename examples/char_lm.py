"""Train a character-level LSTM language model and sample text from it after every epoch.

The default text ships with Python itself: the docstrings of a fixed list of standard-library
modules (``--text FILE`` trains on a file instead). The last 10% is held out for validation. The
model reads characters through an embedding, a 2-layer LSTM and a linear layer to the scores of the
next character; it learns by truncated backpropagation through time, the loop of PyTorch's
word-language-model example: the text is cut into ``--batch-size`` parallel streams, read
``--window`` characters at a time, and the LSTM's state is carried from one window to the next but
detached, so gradients stop at the window's start.

    python3 examples/char_lm.py                       # minitorch: about 2 min on 2 CPU cores
    python3 examples/char_lm.py --framework torch     # the same program on PyTorch
    python3 examples/char_lm.py --compare             # both, from the same weights, one plot
    python3 examples/char_lm.py --resume runs/char_lm/checkpoint.pt                    # continue a stopped run
    python3 examples/char_lm.py --resume runs/char_lm/checkpoint.pt --temperature 0.5  # a finished one: a sample

The metric is the validation loss in nats per character, printed next to the unigram baseline (the
cross-entropy of the training text's character frequencies on the validation text): what a model
that ignores context achieves. Samples are drawn with a NumPy generator seeded by ``--seed``, so
both frameworks turn the same probabilities into the same text. Saves ``checkpoint.pt`` (with the
vocabulary, so sampling works after ``--resume``), ``curves.png`` and ``samples.txt`` to ``--out``.
"""
import ast
import importlib
import os
import sys

import numpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py and metrics.py, run from anywhere

import common  # noqa: E402

# The default text's sources, in this order: pure-Python modules with plenty of prose (about 310 KB).
DOCUMENTED_MODULES = (
    "argparse", "ast", "calendar", "codecs", "collections", "configparser", "contextlib", "csv", "dataclasses",
    "email.message", "enum", "fractions", "functools", "heapq", "inspect", "json", "logging", "os", "pathlib",
    "pickle", "random", "re", "shutil", "statistics", "string", "subprocess", "tarfile", "tempfile", "textwrap",
    "threading", "unittest.case", "zipfile",
)
VALIDATION_FRACTION = 0.1


def module_docstrings(name: str) -> list[str]:
    """The docstrings of a module's source file: the module's, then its classes' and functions'.

    Read from the file with ``ast``, not from the imported objects, so the text never depends on
    what else the program imported (PyTorch, for one, replaces a few functions of ``inspect``).
    """
    with open(importlib.import_module(name).__file__, encoding="utf-8") as file:
        tree = ast.parse(file.read())
    documented = (node for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)))
    return [docstring for node in documented if (docstring := ast.get_docstring(node))]


def standard_library_text() -> str:
    """The default training text: every docstring of ``DOCUMENTED_MODULES``, non-ASCII characters dropped."""
    text = "\n\n".join(docstring for name in DOCUMENTED_MODULES for docstring in module_docstrings(name))
    return text.encode("ascii", errors="ignore").decode("ascii")


class Vocabulary:
    """The characters of a text, each with an index (its rank in code-point order).

    ``state_dict`` gives the characters as a plain string, so the checkpoint carries the vocabulary
    and ``torch.load(weights_only=True)`` reads it; ``Vocabulary(state["characters"])`` rebuilds it.
    """

    def __init__(self, characters: str):
        self.characters = "".join(sorted(set(characters)))
        self.code_points = code_points(self.characters)

    def __len__(self) -> int:
        return len(self.characters)

    def encode(self, text: str) -> numpy.ndarray:
        """The characters' indices as int64; a ValueError names the characters outside the vocabulary."""
        points = code_points(text)
        indices = numpy.searchsorted(self.code_points, points).clip(max=len(self) - 1)
        unknown = self.code_points[indices] != points
        if unknown.any():
            missing = "".join(sorted(set(chr(point) for point in points[unknown])))
            raise ValueError(f"characters outside the model's vocabulary: {missing!r}")
        return indices.astype(numpy.int64)

    def decode(self, indices) -> str:
        return "".join(self.characters[index] for index in indices)

    def state_dict(self) -> dict:
        return {"characters": self.characters}


def code_points(text: str) -> numpy.ndarray:
    """Each character's Unicode code point, read from the text's UTF-32 encoding in one pass."""
    return numpy.frombuffer(text.encode("utf-32-le"), dtype=numpy.uint32)


def unigram_cross_entropy(train_ids: numpy.ndarray, validation_ids: numpy.ndarray, vocabulary_size: int) -> float:
    """Nats per character of the validation text under the training text's character frequencies.

    Counts get one added (Laplace smoothing), so a character absent from the training text costs
    a finite amount rather than an infinite one.
    """
    counts = numpy.bincount(train_ids, minlength=vocabulary_size) + 1.0
    log_probabilities = numpy.log(counts / counts.sum())
    return float(-log_probabilities[validation_ids].mean())


def load_text(args):
    """The training text: the file given with ``--text``, else the standard library's docstrings."""
    if args.text is None:
        return standard_library_text()
    with open(args.text, encoding="utf-8") as file:
        return file.read()


def build_model(nn, vocabulary_size: int, embedding_size: int = 64, hidden_size: int = 256, num_layers: int = 2):
    """Embedding, LSTM and linear layer: scores of the next character after each character read.

    The class is defined around the framework's ``nn``, so the same code builds a minitorch model and
    a PyTorch one with the same parameter names (``lstm.weight_ih_l0``, ...).
    """

    class CharacterModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocabulary_size, embedding_size)
            self.lstm = nn.LSTM(embedding_size, hidden_size, num_layers=num_layers, batch_first=True)
            self.decoder = nn.Linear(hidden_size, vocabulary_size)

        def forward(self, tokens, hidden=None):
            # tokens: [batch, steps] indices; returns scores [batch, steps, vocabulary] and the LSTM's (h, c)
            outputs, hidden = self.lstm(self.embedding(tokens), hidden)
            return self.decoder(outputs), hidden

    return CharacterModel()


def make_training(torch, args, device, vocabulary_size: int):
    """Model, loss, optimizer and scheduler, with the model's weights drawn from ``args.seed``."""
    torch.manual_seed(args.seed)
    model = build_model(torch.nn, vocabulary_size, args.embedding_size, args.hidden_size).to(device)
    loss_function = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    return model, loss_function, optimizer, scheduler


def windows(torch, ids: numpy.ndarray, batch_size: int, window: int) -> list:
    """The text as ``batch_size`` contiguous streams, read ``window`` characters at a time.

    A list of (inputs, targets) tensors ``[batch_size, window]``, the targets one character ahead;
    the last window may be shorter. Window k of stream b continues window k - 1 of stream b, which
    is what lets the LSTM's state carry over from one batch to the next.
    """
    steps = len(ids) // batch_size
    streams = ids[:steps * batch_size].reshape(batch_size, steps)
    batches = []
    for start in range(0, steps - 1, window):
        end = min(start + window, steps - 1)  # the last target is the stream's last character
        batches.append((torch.from_numpy(numpy.ascontiguousarray(streams[:, start:end])),
                        torch.from_numpy(numpy.ascontiguousarray(streams[:, start + 1:end + 1]))))
    return batches


def epoch_windows(torch, args, train_ids: numpy.ndarray, epoch: int) -> list:
    """One epoch's training windows (the first 2 under ``--smoke``).

    The text starts at an offset drawn from (seed, epoch), so that the window boundaries move from
    epoch to epoch; the same for both frameworks and for a resumed run.
    """
    offset = int(numpy.random.default_rng([args.seed, epoch]).integers(args.window))
    batches = windows(torch, train_ids[offset:], args.batch_size, args.window)
    return batches[:common.SMOKE_BATCHES] if args.smoke else batches


def detach(hidden):
    """The LSTM's state as values only: backpropagation stops here (truncated BPTT)."""
    return tuple(state.detach() for state in hidden)


def train_epoch(torch, model, batches: list, loss_function, optimizer, device: str, clip: float,
                description: str) -> list[float]:
    """One pass over the training windows, carrying the LSTM's state across them. Returns each step's loss."""
    model.train()
    hidden = None
    losses = []
    bar = common.progress(batches, len(batches), description)
    for inputs, targets in bar:
        inputs, targets = inputs.to(device), targets.to(device)
        if hidden is not None:
            hidden = detach(hidden)
        scores, hidden = model(inputs, hidden)
        loss = loss_function(scores.reshape(-1, scores.shape[-1]), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        losses.append(loss.item())
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.4f}")
    if hasattr(bar, "close"):
        bar.close()
    return losses


def evaluate(torch, model, ids: numpy.ndarray, batch_size: int, window: int, device: str,
             max_batches: int | None = None) -> float:
    """Mean cross-entropy in nats per character over the text, reading it as training does."""
    model.eval()
    hidden = None
    total_loss, characters = 0.0, 0
    with torch.no_grad():
        for inputs, targets in windows(torch, ids, batch_size, window)[:max_batches]:
            scores, hidden = model(inputs.to(device), hidden)
            loss = torch.nn.functional.cross_entropy(scores.reshape(-1, scores.shape[-1]),
                                                     targets.to(device).reshape(-1), reduction="sum")
            total_loss += loss.item()
            characters += targets.numel()
    return total_loss / characters


def sample(torch, model, vocabulary: Vocabulary, prompt: str, length: int, temperature: float,
           generator: numpy.random.Generator, device: str) -> str:
    """The prompt and ``length`` characters drawn one at a time from the model's predictions.

    Each draw takes softmax(scores / temperature) to NumPy and lets ``generator`` pick: lower
    temperatures favour the likeliest characters, higher ones flatten the choice.
    """
    model.eval()
    drawn = []
    with torch.no_grad():
        tokens = torch.from_numpy(vocabulary.encode(prompt)[None]).to(device)
        hidden = None
        for _ in range(length):
            scores, hidden = model(tokens, hidden)
            probabilities = torch.softmax(scores[0, -1] / temperature, dim=0).cpu().numpy().astype(numpy.float64)
            index = int(generator.choice(len(vocabulary), p=probabilities / probabilities.sum()))
            drawn.append(index)
            tokens = torch.tensor([[index]], dtype=torch.int64, device=device)
    return prompt + vocabulary.decode(drawn)


def split(ids: numpy.ndarray):
    """The training text and the validation text (its last ``VALIDATION_FRACTION``)."""
    boundary = int(len(ids) * (1 - VALIDATION_FRACTION))
    return ids[:boundary], ids[boundary:]


def prepare_data(args, vocabulary: Vocabulary | None = None):
    """The vocabulary (the text's own unless given, e.g. from a checkpoint) and the split, encoded."""
    text = load_text(args)
    vocabulary = vocabulary or Vocabulary(text)
    try:
        train_ids, validation_ids = split(vocabulary.encode(text))
        vocabulary.encode(args.prompt)
    except ValueError as error:
        raise SystemExit(f"cannot read this text or prompt with this vocabulary: {error}") from error
    if not args.prompt:
        raise SystemExit("--prompt must not be empty: the samples continue it")
    if len(validation_ids) < 2 * args.batch_size:  # each of the batch's streams needs an input and a target
        raise SystemExit(f"the text is too short for --batch-size {args.batch_size}: its last 10% (validation) "
                         f"needs {2 * args.batch_size} characters")
    return vocabulary, train_ids, validation_ids


def save_outputs(torch, args, model, optimizer, scheduler, vocabulary: Vocabulary, epoch: int, history: dict):
    """The checkpoint, samples.txt and curves.png in ``--out``, rewritten after every epoch."""
    common.save_checkpoint(torch, os.path.join(args.out, "checkpoint.pt"), model, optimizer, epoch, history,
                           scheduler=scheduler, vocabulary=vocabulary)
    with open(os.path.join(args.out, "samples.txt"), "w", encoding="utf-8") as file:
        for number, text in enumerate(history["samples"], start=1):
            file.write(f"--- epoch {number} ---\n{text}\n\n")
    common.plot_history(os.path.join(args.out, "curves.png"), history, "validation loss")


def train(args):
    torch = common.load_framework(args.framework)
    device = common.pick_device(torch, args.device)
    max_batches = common.SMOKE_BATCHES if args.smoke else None

    vocabulary = None
    if args.resume:  # the checkpoint's vocabulary fixes the model's size and what each index means
        checkpoint = torch.load(args.resume, map_location="cpu", weights_only=True)
        vocabulary = Vocabulary(checkpoint["vocabulary"]["characters"])
    vocabulary, train_ids, validation_ids = prepare_data(args, vocabulary)
    baseline = unigram_cross_entropy(train_ids, validation_ids, len(vocabulary))

    model, loss_function, optimizer, scheduler = make_training(torch, args, device, len(vocabulary))
    start_epoch, history = 0, {"train_loss": [], "validation loss": [], "samples": []}
    if args.resume:
        start_epoch, history = common.load_checkpoint(torch, args.resume, model, optimizer, scheduler=scheduler)
        print(f"resumed from {args.resume} after epoch {start_epoch}")
    print(f"{args.framework} on {device}: {len(train_ids)} training characters, {len(validation_ids)} validation "
          f"characters, {len(vocabulary)} distinct; unigram baseline {baseline:.4f} nats/char")

    def draw_sample(epoch: int) -> str:
        generator = numpy.random.default_rng([args.seed, epoch, 1])  # the same text on both frameworks
        return sample(torch, model, vocabulary, args.prompt, args.sample_length, args.temperature, generator, device)

    os.makedirs(args.out, exist_ok=True)
    with common.Timer() as total:
        for epoch in range(start_epoch, args.epochs):
            with common.Timer() as timer:
                losses = train_epoch(torch, model, epoch_windows(torch, args, train_ids, epoch), loss_function,
                                     optimizer, device, args.clip, description=f"epoch {epoch + 1}")
                scheduler.step()
                validation_loss = evaluate(torch, model, validation_ids, args.batch_size, args.window, device,
                                           max_batches)
            history["train_loss"].append(sum(losses) / len(losses))
            history["validation loss"].append(validation_loss)
            print(f"epoch {epoch + 1:3d}/{args.epochs}  train loss {history['train_loss'][-1]:.4f}  validation loss "
                  f"{validation_loss:.4f} nats/char (unigram {baseline:.4f})  {timer.seconds:.1f} s", flush=True)
            history["samples"].append(draw_sample(epoch))
            print(f"sample: {history['samples'][-1]}\n", flush=True)
            save_outputs(torch, args, model, optimizer, scheduler, vocabulary, epoch + 1, history)

    if start_epoch >= args.epochs:  # nothing left to train: a checkpoint to sample from
        print(f"sample: {draw_sample(args.epochs)}")
        return
    final = history["validation loss"][-1]
    print(f"validation loss {final:.4f} nats/char, {100 * (1 - final / baseline):.1f}% below the unigram baseline "
          f"{baseline:.4f}  training time {total.seconds:.1f} s")
    print(f"saved checkpoint.pt, samples.txt and curves.png to {args.out} (after every epoch)")


def first_epoch_losses(args, vocabulary_size: int, train_ids: numpy.ndarray):
    """For ``--compare``: one epoch's per-step losses on a framework, from given (or freshly drawn) weights."""
    def run(torch, initial_weights):
        device = common.pick_device(torch, args.device)
        model, loss_function, optimizer, _ = make_training(torch, args, device, vocabulary_size)
        if initial_weights is None:
            initial_weights = common.state_dict_as_numpy(model)
        else:
            common.load_numpy_state_dict(torch, model, initial_weights)
        losses = train_epoch(torch, model, epoch_windows(torch, args, train_ids, epoch=0), loss_function,
                             optimizer, device, args.clip, description=torch.__name__)
        return losses, initial_weights
    return run


def make_parser():
    """The shared flags of common.py plus the text, the model's sizes and the sampling options."""
    parser = common.make_parser(__doc__.splitlines()[0], epochs=12, batch_size=64, lr=3e-3, out="runs/char_lm")
    parser.add_argument("--text", metavar="FILE",
                        help="train on this UTF-8 file (default: standard-library docstrings)")
    parser.add_argument("--window", type=int, default=64,
                        help="characters per truncated-backpropagation window (default: %(default)s)")
    parser.add_argument("--embedding-size", type=int, default=64, help="default: %(default)s")
    parser.add_argument("--hidden-size", type=int, default=256, help="default: %(default)s")
    parser.add_argument("--clip", type=float, default=1.0, help="largest gradient norm (default: %(default)s)")
    parser.add_argument("--prompt", default="Return the ", help="text the samples start from (default: %(default)r)")
    parser.add_argument("--sample-length", type=int, default=200,
                        help="characters to generate after the prompt (default: %(default)s)")
    parser.add_argument("--temperature", type=float, default=0.8,
                        help="softmax temperature of sampling (default: %(default)s)")
    return parser


def main(argv=None):
    args = common.parse_args(make_parser(), argv)
    if args.compare:
        vocabulary, train_ids, _ = prepare_data(args)
        common.compare(args, first_epoch_losses(args, len(vocabulary), train_ids))
    else:
        train(args)


if __name__ == "__main__":
    main()
