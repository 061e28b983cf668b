"""quantize=auto: keep int8 when it holds the accuracy, fall back to 16x8 when it does not.

The choice is exercised on a stand-in for the conversion (the real conversion and
accuracy measurements are covered end to end in test_build and test_quantize):
what is tested here is the decision and its stated reason.
"""

import pytest

from nnbuild import precision

pytestmark = pytest.mark.unit


class _Conversion:
    def quantize(self, mode):
        return mode.encode(), {"mode": mode}


class _Judge(precision.Judge):
    def __init__(self, accuracies, labelled=True):
        self.conversion, self.accuracies = _Conversion(), accuracies
        self.metric, self.min_sqnr_db = "auto", 20.0
        self.y = [0] if labelled else None
        self.what = "test samples"
        self.measured = []

    def measure(self, data, info):
        self.measured.append(info["mode"])
        acc = self.accuracies[info["mode"]]
        return {"accuracy": acc, "agreement": acc, "sqnr_db": 10.0}

    def float_metrics(self):
        return {"accuracy": self.accuracies["float"]}


def test_auto_keeps_int8_within_tolerance_and_does_not_try_16x8():
    judge = _Judge({"float": 0.908, "int8": 0.902, "int16x8": 0.908})
    chosen, data, _, candidates, reason = precision.choose("auto", judge)
    assert (chosen, data) == ("int8", b"int8")
    assert judge.measured == ["int8"]
    assert "within 1 point" in reason and "0.902" in reason


def test_auto_falls_back_to_16x8_when_int8_loses_accuracy():
    judge = _Judge({"float": 0.908, "int8": 0.757, "int16x8": 0.908})
    chosen, data, _, candidates, reason = precision.choose("auto", judge)
    assert (chosen, data) == ("int16x8", b"int16x8")
    assert set(candidates) == {"int8", "int16x8"}
    assert "0.757" in reason and "int8 is not within 1 point of float 0.908" in reason


def test_auto_keeps_int8_if_16x8_is_no_better():
    chosen, *_ = precision.choose("auto", _Judge({"float": 0.9, "int8": 0.8, "int16x8": 0.79}))
    assert chosen == "int8"


def test_tolerance_is_respected():
    chosen, *_ = precision.choose("auto", _Judge({"float": 0.9, "int8": 0.88, "int16x8": 0.9}), tolerance=0.05)
    assert chosen == "int8"


@pytest.mark.parametrize("mode", ["int8", "int16x8"])
def test_explicit_mode_is_obeyed(mode):
    judge = _Judge({"float": 0.9, "int8": 0.5, "int16x8": 0.9})
    chosen, _, _, candidates, reason = precision.choose(mode, judge)
    assert chosen == mode and list(candidates) == [mode] and "asked for" in reason
