"""Evaluation metrics for the example programs, on NumPy arrays (what sklearn.metrics computes).

Classifiers report accuracy, per-class precision/recall/F1 and a confusion matrix; regression and
reconstruction report the mean squared error. Everything here takes labels or values as array-likes
(convert tensors with ``.cpu().numpy()`` first), so the same code scores minitorch and PyTorch runs.
A class that is never predicted (or never present) has precision (or recall) 0, as scikit-learn's
``zero_division=0`` gives.
"""
from __future__ import annotations

import numpy

__all__ = ["accuracy", "confusion_matrix", "precision_recall_f1", "mean_squared_error", "classification_report"]


def accuracy(targets, predictions) -> float:
    """The fraction of predictions equal to their target."""
    targets, predictions = numpy.asarray(targets), numpy.asarray(predictions)
    return float((targets == predictions).mean())


def confusion_matrix(targets, predictions, num_classes: int | None = None) -> numpy.ndarray:
    """``matrix[i, j]`` counts the samples of true class ``i`` predicted as class ``j``."""
    targets = numpy.asarray(targets, dtype=numpy.int64)
    predictions = numpy.asarray(predictions, dtype=numpy.int64)
    if num_classes is None:
        num_classes = int(max(targets.max(initial=-1), predictions.max(initial=-1))) + 1
    # Each (true, predicted) pair names one cell of the flattened matrix; bincount counts them all at once.
    cells = targets * num_classes + predictions
    return numpy.bincount(cells, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _safe_divide(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0."""
    return numpy.divide(numerator, denominator, out=numpy.zeros(len(numerator)), where=denominator > 0)


def precision_recall_f1(targets, predictions, num_classes: int | None = None):
    """Per-class precision, recall, F1 and support (the number of true samples), as four arrays."""
    matrix = confusion_matrix(targets, predictions, num_classes).astype(numpy.float64)
    true_positives = numpy.diag(matrix)
    predicted = matrix.sum(axis=0)  # column sums: how often each class was predicted
    support = matrix.sum(axis=1)  # row sums: how often each class is the truth
    precision = _safe_divide(true_positives, predicted)
    recall = _safe_divide(true_positives, support)
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    return precision, recall, f1, support.astype(numpy.int64)


def mean_squared_error(targets, outputs) -> float:
    """The mean of the squared differences, over every element."""
    difference = numpy.asarray(outputs, dtype=numpy.float64) - numpy.asarray(targets, dtype=numpy.float64)
    return float((difference ** 2).mean())


def classification_report(targets, predictions, class_names=None, num_classes: int | None = None) -> str:
    """A printable table: per-class precision, recall, F1 and support, then accuracy and the macro average."""
    precision, recall, f1, support = precision_recall_f1(targets, predictions, num_classes)
    if class_names is None:
        class_names = [str(index) for index in range(len(support))]
    width = max(12, *(len(str(name)) for name in class_names))
    lines = [f"{'':>{width}} {'precision':>9} {'recall':>9} {'f1-score':>9} {'support':>9}"]
    for name, row in zip(class_names, zip(precision, recall, f1, support)):
        lines.append(f"{str(name):>{width}} {row[0]:9.3f} {row[1]:9.3f} {row[2]:9.3f} {row[3]:9d}")
    total = int(support.sum())
    lines.append("")
    lines.append(f"{'accuracy':>{width}} {'':>9} {'':>9} {accuracy(targets, predictions):9.3f} {total:9d}")
    lines.append(f"{'macro avg':>{width}} {precision.mean():9.3f} {recall.mean():9.3f} {f1.mean():9.3f} {total:9d}")
    return "\n".join(lines)
