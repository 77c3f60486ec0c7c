"""examples/metrics.py: hand-computed values, then scikit-learn's on drawn labels."""
import sys
from pathlib import Path

import numpy
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import metrics  # noqa: E402

sklearn_metrics = pytest.importorskip("sklearn.metrics")

TARGETS = [0, 0, 1, 1, 2, 2]
PREDICTIONS = [0, 1, 1, 1, 0, 2]


def test_accuracy_by_hand():
    assert metrics.accuracy(TARGETS, PREDICTIONS) == pytest.approx(4 / 6)


def test_confusion_matrix_by_hand():
    expected = [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    numpy.testing.assert_array_equal(metrics.confusion_matrix(TARGETS, PREDICTIONS), expected)
    # A class absent from both still gets its row and column when num_classes says so.
    assert metrics.confusion_matrix(TARGETS, PREDICTIONS, num_classes=4).shape == (4, 4)


def test_precision_recall_f1_by_hand():
    precision, recall, f1, support = metrics.precision_recall_f1(TARGETS, PREDICTIONS)
    # class 0: predicted twice, right once; class 1: predicted 3 times, right twice; class 2: 1 of 1.
    numpy.testing.assert_allclose(precision, [1 / 2, 2 / 3, 1])
    numpy.testing.assert_allclose(recall, [1 / 2, 1, 1 / 2])
    numpy.testing.assert_allclose(f1, [1 / 2, 0.8, 2 / 3])
    numpy.testing.assert_array_equal(support, [2, 2, 2])


def test_never_predicted_class_scores_zero():
    precision, recall, f1, _ = metrics.precision_recall_f1([0, 1], [0, 0])
    assert precision[1] == recall[1] == f1[1] == 0


def test_mean_squared_error_by_hand():
    assert metrics.mean_squared_error([[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [3.0, 5.0]]) == pytest.approx(5 / 4)


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_sklearn_on_drawn_labels(seed):
    generator = numpy.random.default_rng(seed)
    num_classes = int(generator.integers(2, 12))
    targets = generator.integers(0, num_classes, size=int(generator.integers(1, 300)))
    # Mostly right, partly random, so every regime (perfect, absent, never predicted) shows up.
    predictions = numpy.where(generator.random(len(targets)) < 0.6, targets,
                              generator.integers(0, num_classes, size=len(targets)))
    labels = list(range(num_classes))
    assert metrics.accuracy(targets, predictions) == pytest.approx(sklearn_metrics.accuracy_score(targets, predictions))
    numpy.testing.assert_array_equal(metrics.confusion_matrix(targets, predictions, num_classes),
                                     sklearn_metrics.confusion_matrix(targets, predictions, labels=labels))
    ours = metrics.precision_recall_f1(targets, predictions, num_classes)
    theirs = sklearn_metrics.precision_recall_fscore_support(targets, predictions, labels=labels, zero_division=0)
    for mine, reference in zip(ours, theirs):
        numpy.testing.assert_allclose(mine, reference, atol=1e-12)
    values, outputs = generator.normal(size=(2, 7, 3))
    assert metrics.mean_squared_error(values, outputs) == pytest.approx(sklearn_metrics.mean_squared_error(values, outputs))


def test_classification_report_lists_every_class_and_the_accuracy():
    report = metrics.classification_report(TARGETS, PREDICTIONS, ["cat", "dog", "bird"])
    assert all(name in report for name in ("cat", "dog", "bird", "accuracy", "macro avg"))
    assert "0.667" in report.splitlines()[-2]
