"""Train a tiny two-layer network on data it makes (two interleaved spirals), with minitorch alone.

The PyTorch training loop as users write it: an ``nn.Sequential`` model, a loss
from ``nn``, and an optimizer from ``optim`` (``import minitorch as torch``).
"""
import argparse
import math

import minitorch as torch


def make_spirals(points_per_class: int, generator):
    """Two spirals in the plane, labelled 0 and 1."""
    t = torch.linspace(0.25, 3 * math.pi, points_per_class)
    coordinates, labels = [], []
    for label, phase in enumerate((0.0, math.pi)):
        x = t * (t + phase).cos()
        y = t * (t + phase).sin()
        noise = torch.randn(2, points_per_class, generator=generator) * 0.1
        coordinates.append(torch.stack([x + noise[0], y + noise[1]], dim=1) / 4)
        labels.append(torch.full((points_per_class,), float(label)))
    return torch.cat(coordinates), torch.cat(labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args()

    generator = torch.Generator().manual_seed(0)
    inputs, targets = make_spirals(200, generator)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, args.hidden), torch.nn.Tanh(), torch.nn.Linear(args.hidden, 1))
    loss_function = torch.nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)

    for step in range(args.steps + 1):
        logits = model(inputs).squeeze(1)
        loss = loss_function(logits, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 200 == 0:
            accuracy = ((logits > 0).float() == targets).float().mean().item()
            print(f"step {step:5d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
