"""quantize=auto: keep int8 when it holds the accuracy, else a per-layer mix that does, else 16x8.

The choice is exercised on a stand-in for the conversion (the real conversion and
accuracy measurements are covered end to end in test_build and test_quantize):
what is tested here is the decision and its stated reason, and the refusal of a
quantized model that is broken.
"""

import numpy as np
import pytest

from nnbuild import mixed_precision, precision, quantize
from nnbuild.errors import UserError


class _Conversion:
    def __init__(self, refused=()):
        self.refused = refused

    def quantize(self, mode):
        if mode in self.refused:
            raise quantize.ConverterRejects(f"the TFLite converter could not quantize the model to {mode}")
        return mode.encode(), {"mode": mode}


class _Judge(precision.Judge):
    """accuracies: of float, int8, int16x8 and, if the search finds one, the mix (ops 1 and 2)."""

    def __init__(self, accuracies, labelled=True, refused=()):
        self.conversion, self.accuracies = _Conversion(refused), accuracies
        self.metric, self.min_sqnr_db = "auto", 20.0
        self.y = [0] if labelled else None
        self.what = "test samples"
        self.measured, self._models = [], {}

    def _search(self):
        if "mixed" not in self.accuracies:
            raise mixed_precision.MixedUnavailable("no mix of int8 and 16x8 ops is within the tolerance")
        return b"mixed", {"mode": "mixed:1,2", "int16_ops": [1, 2]}

    def measure(self, data, info):
        self.measured.append(info["mode"])
        acc = self.accuracies[info["mode"].split(":")[0]]
        return {"accuracy": acc, "agreement": acc, "sqnr_db": 10.0}

    def float_metrics(self):
        return {"accuracy": self.accuracies["float"]}


def test_auto_keeps_int8_within_tolerance_and_does_not_try_16x8():
    judge = _Judge({"float": 0.908, "int8": 0.902, "int16x8": 0.908})
    chosen, data, _, candidates, reason = precision.choose("auto", judge)
    assert (chosen, data) == ("int8", b"int8")
    assert judge.measured == ["int8"]
    assert "within 1 point" in reason and "0.902" in reason


def test_auto_takes_a_mix_within_tolerance_before_16x8():
    judge = _Judge({"float": 0.908, "int8": 0.757, "mixed": 0.905, "int16x8": 0.908})
    chosen, data, info, candidates, reason = precision.choose("auto", judge)
    assert (chosen, data, info["mode"]) == ("mixed", b"mixed", "mixed:1,2")
    assert judge.measured == ["int8", "mixed:1,2"]
    assert "int8 is not within 1 point of float 0.908, mixed is" in reason
    table = precision.format_candidates({"float": {"accuracy": 0.908}, **candidates})
    assert "mixed (TFLite)" in table and "0.905" in table


def test_auto_falls_back_to_16x8_when_int8_loses_accuracy_and_no_mix_keeps_it():
    judge = _Judge({"float": 0.908, "int8": 0.757, "int16x8": 0.908})
    chosen, data, _, candidates, reason = precision.choose("auto", judge)
    assert (chosen, data) == ("int16x8", b"int16x8")
    assert set(candidates) == {"int8", "mixed", "int16x8"}
    assert candidates["mixed"]["by"] == "the per-layer search"
    assert "0.757" in reason and "int8 is not within 1 point of float 0.908" in reason


def test_auto_keeps_int8_if_16x8_is_no_better():
    chosen, *_ = precision.choose("auto", _Judge({"float": 0.9, "int8": 0.8, "int16x8": 0.79}))
    assert chosen == "int8"


def test_tolerance_is_respected():
    chosen, *_ = precision.choose("auto", _Judge({"float": 0.9, "int8": 0.88, "int16x8": 0.9}), tolerance=0.05)
    assert chosen == "int8"


def test_auto_keeps_int8_when_the_converter_cannot_make_16x8():
    judge = _Judge({"float": 0.9, "int8": 0.8, "int16x8": 0.9}, refused=("int16x8",))
    chosen, data, _, candidates, reason = precision.choose("auto", judge)
    assert (chosen, data) == ("int8", b"int8")
    assert candidates["int16x8"]["by"] == "the TFLite converter"
    assert "int16x8 rejected by the TFLite converter" in reason
    table = precision.format_candidates({"float": {"accuracy": 0.9}, **candidates})
    assert "int16x8 (TFLite)       rejected by the TFLite converter" in table


def test_an_explicit_mode_the_converter_cannot_make_is_an_error():
    with pytest.raises(quantize.ConverterRejects):
        precision.choose("int16x8", _Judge({"float": 0.9, "int8": 0.8}, refused=("int16x8",)))


@pytest.mark.parametrize("mode", ["int8", "int16x8"])
def test_explicit_mode_is_obeyed(mode):
    judge = _Judge({"float": 0.9, "int8": 0.5, "int16x8": 0.9})
    chosen, _, _, candidates, reason = precision.choose(mode, judge)
    assert chosen == mode and list(candidates) == [mode] and "asked for" in reason


def _layer(index, scale, sqnr_db):
    return {"index": index, "op": "CONV_2D", "tensor": f"t{index}", "scale": scale, "sqnr_db": sqnr_db}


def test_a_broken_model_names_the_first_broken_layer():
    layers = [_layer(0, 0.02, 40.0), _layer(1, 1.3e36, 0.0), _layer(2, 0.05, 0.0)]
    outputs = np.arange(6, dtype=np.float32).reshape(2, 3)
    with pytest.raises(UserError, match=r"breaks at op 1 \(CONV_2D, tensor 't1': scale 1.3e\+36"):
        precision.check_not_broken("m.onnx", "int8", {"sqnr_db": 0.0, "agreement": 0.1}, layers, outputs)


def test_a_model_whose_output_ignores_its_input_is_named_a_placeholder():
    constant = np.full((4, 1000), 0.001, np.float32)  # a uniform softmax, whatever the input
    with pytest.raises(UserError, match="same output for all 4 samples.*placeholders"):
        precision.check_not_broken("light.onnx", "int8", {"sqnr_db": 0.0, "agreement": 1.0},
                                   [_layer(0, 0.05, 0.0)], constant)


def test_a_sound_model_passes():
    precision.check_not_broken("m.onnx", "int8", {"sqnr_db": 30.0, "agreement": 0.99},
                               [_layer(0, 0.02, 35.0)], np.eye(3, dtype=np.float32))


def test_an_output_that_hardly_depends_on_the_input_is_noticed():
    rng = np.random.default_rng(0)
    constant_ish = 0.02 + 1e-9 * rng.standard_normal((20, 1000))
    assert precision.barely_input_dependent(constant_ish)
    assert not precision.barely_input_dependent(rng.standard_normal((20, 1000)))
    assert not precision.barely_input_dependent(constant_ish[:1])  # one sample: nothing to compare
