"""Train a tiny two-layer network on data it makes (two interleaved spirals), with minitorch alone.

A placeholder main example until the nn/optim issues land: the forward pass,
the loss, backward and the SGD step are all written out by hand.
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
    parser.add_argument("--lr", type=float, default=1.0)
    args = parser.parse_args()

    generator = torch.Generator().manual_seed(0)
    inputs, targets = make_spirals(200, generator)
    w1 = (torch.randn(2, args.hidden, generator=generator) * 1.0).requires_grad_()
    b1 = torch.zeros(args.hidden, requires_grad=True)
    w2 = (torch.randn(args.hidden, 1, generator=generator) / math.sqrt(args.hidden)).requires_grad_()
    b2 = torch.zeros(1, requires_grad=True)
    parameters = [w1, b1, w2, b2]

    for step in range(args.steps + 1):
        logits = ((inputs @ w1 + b1).tanh() @ w2 + b2).squeeze(1)
        probabilities = logits.sigmoid()
        loss = -(targets * (probabilities + 1e-7).log() + (1 - targets) * (1 - probabilities + 1e-7).log()).mean()
        for parameter in parameters:
            parameter.grad = None
        loss.backward()
        with torch.no_grad():
            for parameter in parameters:
                parameter -= args.lr * parameter.grad
        if step % 200 == 0:
            accuracy = ((probabilities > 0.5).float() == targets).float().mean().item()
            print(f"step {step:5d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
