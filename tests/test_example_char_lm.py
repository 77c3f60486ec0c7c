"""examples/char_lm.py (issue 8): the character language model trains, samples, resumes and matches PyTorch."""
import importlib.util
import math
import re

import numpy
import pytest
from hypothesis import given, strategies as st

from tests.example_programs import example, import_example, run_example

CHAR_LM = example("char_lm")
# Small sizes keep each run to a few seconds; the smoke flag caps batches and epochs.
SMALL = [CHAR_LM, "--smoke", "--device", "cpu", "--hidden-size", "32", "--embedding-size", "16",
         "--batch-size", "8", "--window", "16", "--sample-length", "20"]


def samples_in(output: str) -> list[str]:
    return re.findall(r"^sample: (.*)$", output, flags=re.MULTILINE)


def test_char_lm_smoke_writes_checkpoint_plot_and_samples_and_torch_reads_them(tmp_path):
    output = run_example([*SMALL, "--epochs", "1", "--prompt", "The ", "--out", str(tmp_path)])
    assert "epoch   1/1" in output and "unigram baseline" in output
    assert len(samples_in(output)) == 1
    samples_file = (tmp_path / "samples.txt").read_text()
    sample = re.fullmatch(r"--- epoch 1 ---\n(.*)\n\n", samples_file, flags=re.DOTALL).group(1)
    assert sample.startswith("The ") and len(sample) == len("The ") + 20
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "curves.png").stat().st_size > 0
    torch = pytest.importorskip("torch")
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    characters = checkpoint["vocabulary"]["characters"]
    assert isinstance(characters, str) and "T" in characters and list(characters) == sorted(set(characters))
    assert checkpoint["epoch"] == 1 and len(checkpoint["history"]["validation loss"]) == 1
    model = import_example("char_lm").build_model(torch.nn, len(characters), embedding_size=16, hidden_size=32)
    model.load_state_dict(checkpoint["model"])  # minitorch's keys and shapes are PyTorch's


def test_char_lm_resumes_after_the_saved_epoch_and_still_samples(tmp_path):
    run_example([*SMALL, "--epochs", "1", "--out", str(tmp_path)])
    resumed = run_example([*SMALL, "--epochs", "2", "--out", str(tmp_path),
                           "--resume", str(tmp_path / "checkpoint.pt")])
    assert "after epoch 1" in resumed and "epoch   2/2" in resumed and "epoch   1/" not in resumed
    assert len(samples_in(resumed)) == 1
    assert (tmp_path / "samples.txt").read_text().count("--- epoch") == 2  # the first run's sample is kept
    finished = run_example([*SMALL, "--epochs", "2", "--out", str(tmp_path / "again"),
                            "--resume", str(tmp_path / "checkpoint.pt"), "--prompt", "Re"])
    assert "epoch   " not in finished and [sample[:2] for sample in samples_in(finished)] == ["Re"]


def test_char_lm_runs_on_torch(tmp_path):
    pytest.importorskip("torch")
    output = run_example([*SMALL, "--framework", "torch", "--out", str(tmp_path)])
    assert "torch on cpu" in output and len(samples_in(output)) == 2 and (tmp_path / "checkpoint.pt").exists()


def test_char_lm_compare_agrees_with_torch(tmp_path):
    pytest.importorskip("torch")
    output = run_example([*SMALL, "--compare", "--out", str(tmp_path)])
    difference = float(re.search(r"max relative difference of the first-epoch losses: (\S+)", output).group(1))
    assert difference < 1e-4, output


def test_unigram_baseline_matches_the_hand_computed_cross_entropy():
    # training text "aab" over the vocabulary {a, b, c}: counts (2, 1, 0) + 1 each = (3, 2, 1) of 6;
    # validation text "abc": -(ln 3/6 + ln 2/6 + ln 1/6) / 3
    char_lm = import_example("char_lm")
    vocabulary = char_lm.Vocabulary("abc")
    baseline = char_lm.unigram_cross_entropy(vocabulary.encode("aab"), vocabulary.encode("abc"), len(vocabulary))
    assert baseline == pytest.approx(-(math.log(3 / 6) + math.log(2 / 6) + math.log(1 / 6)) / 3, rel=1e-12)


@given(vocabulary_size=st.integers(1, 6), train_length=st.integers(1, 30), validation_length=st.integers(1, 30),
       seed=st.integers(0, 2**32 - 1))
def test_unigram_baseline_is_torch_cross_entropy_of_the_smoothed_log_frequencies(vocabulary_size, train_length,
                                                                                  validation_length, seed):
    torch = pytest.importorskip("torch")
    generator = numpy.random.default_rng(seed)
    train_ids = generator.integers(0, vocabulary_size, train_length)
    validation_ids = generator.integers(0, vocabulary_size, validation_length)
    counts = torch.bincount(torch.from_numpy(train_ids), minlength=vocabulary_size).double() + 1
    scores = counts.log().expand(validation_length, vocabulary_size)  # the same prediction at every position
    expected = torch.nn.functional.cross_entropy(scores, torch.from_numpy(validation_ids)).item()
    actual = import_example("char_lm").unigram_cross_entropy(train_ids, validation_ids, vocabulary_size)
    assert actual == pytest.approx(expected, rel=1e-12)


def test_windows_cut_the_text_into_streams_with_targets_one_character_ahead():
    torch = pytest.importorskip("torch")
    # 23 characters, 2 streams of 11 (the 23rd is dropped): 0..10 and 11..21, read 4 at a time
    batches = import_example("char_lm").windows(torch, numpy.arange(23), batch_size=2, window=4)
    expected_inputs = [[[0, 1, 2, 3], [11, 12, 13, 14]], [[4, 5, 6, 7], [15, 16, 17, 18]], [[8, 9], [19, 20]]]
    assert [inputs.tolist() for inputs, _ in batches] == expected_inputs
    assert [targets.tolist() for _, targets in batches] == [[[value + 1 for value in row] for row in inputs]
                                                            for inputs in expected_inputs]


def test_vocabulary_encodes_in_code_point_order_and_rejects_unknown_characters():
    char_lm = import_example("char_lm")
    vocabulary = char_lm.Vocabulary("hello, world\n")
    assert vocabulary.characters == "\n ,dehlorw"
    ids = vocabulary.encode("world, hello")
    assert ids.dtype == numpy.int64 and vocabulary.decode(ids) == "world, hello"
    with pytest.raises(ValueError, match="'xz'"):
        vocabulary.encode("hello xz")
