"""Train the CNN of examples/cnn.py on Digits in mixed precision: autocast plus GradScaler.

Inside ``autocast`` the convolutions and linear layers run in float16 (or
bfloat16) while the loss stays in float32; ``GradScaler`` multiplies the loss
before ``backward`` so small float16 gradients do not underflow, and skips a
step whose gradients overflowed. The same loop runs on the real PyTorch with
``--framework torch``.

    python examples/mixed_precision.py --epochs 3
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py and cnn.py, run from anywhere
import cnn  # noqa: E402
import common  # noqa: E402


def train_epoch(torch, model, loader, optimizer, scaler, device: str, dtype, max_batches) -> list[float]:
    """One pass over ``loader`` with the forward pass and the loss under autocast; returns each step's loss."""
    model.train()
    losses = []
    for step, (inputs, targets) in enumerate(loader):
        if step == max_batches:
            break
        inputs, targets = inputs.to(device), targets.to(device)
        with torch.autocast(device, dtype=dtype):
            loss = torch.nn.functional.cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        scaler.scale(loss).backward()  # backward outside the region: each op's backward keeps its forward's dtype
        scaler.step(optimizer)         # unscales the gradients; skipped if any is inf or NaN
        scaler.update()
        losses.append(loss.item())
    return losses


def train(args):
    torch = common.load_framework(args.framework)
    device = common.pick_device(torch, args.device)
    torch.manual_seed(args.seed)
    dtype = getattr(torch, args.dtype)
    train_images, train_labels, test_images, test_labels, _ = cnn.load_data(args)
    test_loader = common.make_loader(torch, test_images, test_labels, 500)
    model = cnn.build_model(torch.nn).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    # bfloat16 has float32's exponent range: nothing underflows, so its scaler is switched off.
    scaler = torch.amp.GradScaler(device, enabled=args.dtype == "float16")
    max_batches = common.SMOKE_BATCHES if args.smoke else None
    history = {"train_loss": [], "accuracy": []}
    print(f"autocast dtype: {args.dtype} on {device}", flush=True)
    for epoch in range(args.epochs):
        with common.Timer() as timer:
            order = common.batch_order(len(train_images), args.seed, epoch)
            loader = common.make_loader(torch, train_images, train_labels, args.batch_size, order)
            losses = train_epoch(torch, model, loader, optimizer, scaler, device, dtype, max_batches)
            with torch.autocast(device, dtype=dtype):
                outputs, targets = common.predict(torch, model, test_loader, device, max_batches)
        history["train_loss"].append(sum(losses) / len(losses))
        history["accuracy"].append(float((outputs.argmax(1) == targets).mean()))
        print(common.epoch_summary(epoch + 1, args.epochs, history["train_loss"][-1], "accuracy",
                                   history["accuracy"][-1], timer.seconds), flush=True)
    print(f"final accuracy {history['accuracy'][-1]:.4f}  loss scale {scaler.get_scale():g}")
    common.save_checkpoint(torch, os.path.join(args.out, "checkpoint.pt"), model, optimizer, args.epochs, history,
                           scaler=scaler)
    common.plot_history(os.path.join(args.out, "curves.png"), history, "accuracy")
    return history


def main(argv=None):
    parser = common.make_parser(__doc__.splitlines()[0], epochs=3, batch_size=64, lr=2e-3, out="runs/mixed_precision")
    parser.add_argument("--dtype", choices=("float16", "bfloat16"), default="float16", help="default: %(default)s")
    args = common.parse_args(parser, argv)
    args.data, args.root = "digits", None  # what cnn.load_data reads
    train(args)


if __name__ == "__main__":
    main()
