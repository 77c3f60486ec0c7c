"""Save a whole training run and resume it exactly: model, optimizer, scheduler, epoch and RNG state.

A checkpoint is one dict of tensors, numbers and dicts, written with ``torch.save``
(PyTorch's own zip format, so PyTorch can read it too) and read back with
``torch.load(..., weights_only=True)``, which never runs code from the file.
Restoring the random-number state as well matters: dropout masks and the
shuffling order after the resume are then the ones the uninterrupted run drew.

    python3 examples/checkpoint_resume.py --epochs 6 --resume-at 3

trains 6 epochs straight, then again from a checkpoint written after epoch 3,
and prints both loss sequences, which are identical.
"""
import argparse
import os
import tempfile

import minitorch as torch


def save_checkpoint(path, model, optimizer, scheduler, epoch):
    """Everything a run needs to go on as if it had never stopped."""
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": epoch, "rng_state": torch.get_rng_state()}, path)


def load_checkpoint(path, model, optimizer, scheduler) -> int:
    """Restore what ``save_checkpoint`` wrote; returns the epoch to start from."""
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    torch.set_rng_state(checkpoint["rng_state"])
    return checkpoint["epoch"] + 1


def make_data(samples=512, features=20, classes=4):
    """A fixed classification task: labels from a random linear map of Gaussian inputs."""
    generator = torch.Generator().manual_seed(1234)
    inputs = torch.randn(samples, features, generator=generator)
    labels = (inputs @ torch.randn(features, classes, generator=generator)).argmax(dim=1)
    return inputs, labels


def make_run():
    """A fresh model, optimizer and scheduler (a restarted program builds these first, then loads)."""
    model = torch.nn.Sequential(torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                torch.nn.Linear(64, 4))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    return model, optimizer, scheduler


def train_epoch(model, optimizer, scheduler, inputs, labels, batch_size=64) -> float:
    """One pass over the data in a random order; returns the mean loss."""
    model.train()
    order = torch.randperm(len(inputs))
    losses = []
    for start in range(0, len(inputs), batch_size):
        batch = order[start:start + batch_size]
        loss = torch.nn.functional.cross_entropy(model(inputs[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    scheduler.step()
    return sum(losses) / len(losses)


def train(epochs, checkpoint_path=None, checkpoint_epoch=None, resume=False, seed=0):
    """Train ``epochs`` epochs and return their losses; write a checkpoint after ``checkpoint_epoch``,
    or, with ``resume``, start from that checkpoint instead of from scratch."""
    torch.manual_seed(seed)
    inputs, labels = make_data()
    model, optimizer, scheduler = make_run()
    start = load_checkpoint(checkpoint_path, model, optimizer, scheduler) if resume else 0
    losses = []
    for epoch in range(start, epochs):
        losses.append(train_epoch(model, optimizer, scheduler, inputs, labels))
        if epoch == checkpoint_epoch and not resume:
            save_checkpoint(checkpoint_path, model, optimizer, scheduler, epoch)
    return losses


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--resume-at", type=int, default=3, help="the epoch after which the checkpoint is written")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "checkpoint.pt")
        straight = train(args.epochs, path, checkpoint_epoch=args.resume_at - 1)
        resumed = train(args.epochs, path, checkpoint_epoch=args.resume_at - 1, resume=True, seed=99)
    print("uninterrupted:", " ".join(f"{loss:.6f}" for loss in straight))
    print("resumed:      ", " " * 9 * args.resume_at + " ".join(f"{loss:.6f}" for loss in resumed))
    print("identical" if straight[args.resume_at:] == resumed else "DIFFERENT")


if __name__ == "__main__":
    main()
