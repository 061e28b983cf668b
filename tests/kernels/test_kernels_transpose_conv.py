"""TRANSPOSE_CONV, int8 and 16x8 (int16 activations, int8 weights, int64 or int16 bias),
against the TFLite Micro interpreter.

hypothesis draws input sizes, filters, strides, SAME or VALID padding, every output size
that the padding and strides map back to the input, per-channel or per-tensor weight scales,
a bias or none, fused activations, scales and zero points; each single-operator model is
compiled for the host with sanitizers and must match the reference byte for byte.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aot_harness import assert_bit_exact
from nnbuild.runtimes.aot.codegen import generate_aot
from nnbuild.errors import UserError
from nnbuild.tflite_model import parse_tflite
from tflite_builder import T, build_model, options

CASES = settings(max_examples=12, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
BIAS_TYPES = {"int8": ["int32", None], "int16": ["int64", "int16", None]}


def _output_size(padding, size, k, stride, extra):
    """The output sizes whose convolution (SAME: ceil(out / stride), VALID: (out - k) / stride + 1)
    gives back `size`, the smallest plus `extra` (0 to stride - 1)."""
    return (size - 1) * stride + (1 if padding == 0 else k) + extra


transpose_conv_case = st.fixed_dictionaries({
    "h": st.integers(1, 6), "w": st.integers(1, 6), "cin": st.integers(1, 5), "cout": st.integers(1, 5),
    "kh": st.integers(1, 4), "kw": st.integers(1, 4), "sh": st.integers(1, 3), "sw": st.integers(1, 3),
    "extra_h": st.integers(0, 2), "extra_w": st.integers(0, 2), "padding": st.sampled_from([0, 1]),
    "act": st.sampled_from([0, 1, 3]), "per_channel": st.booleans(), "bias": st.integers(0, 2),
    "batches": st.integers(1, 2), "seed": st.integers(0, 2**16),
})


def _transpose_conv_model(c, dtype, in_q, out_q, bias_inputs=4):
    """Tensors: input, output shape, filter, bias (unless omitted), output; the op reads them in
    TFLite's order (output shape, filter, input, bias)."""
    rng = np.random.default_rng(c["seed"])
    oh = _output_size(c["padding"], c["h"], c["kh"], c["sh"], c["extra_h"] % c["sh"])
    ow = _output_size(c["padding"], c["w"], c["kw"], c["sw"], c["extra_w"] % c["sw"])
    out_shape = (c["batches"], oh, ow, c["cout"])
    wshape = (c["cout"], c["kh"], c["kw"], c["cin"])
    w_scale = list(rng.uniform(0.001, 0.05, c["cout"])) if c["per_channel"] else float(rng.uniform(0.001, 0.05))
    tensors = [T((c["batches"], c["h"], c["w"], c["cin"]), dtype=dtype, scale=in_q[0], zero_point=in_q[1]),
               T((4,), dtype="int32", data=np.array(out_shape, dtype=np.int32)),
               T(wshape, data=rng.integers(-127, 128, wshape).astype(np.int8), scale=w_scale)]
    bias_type = BIAS_TYPES[dtype][c["bias"] % len(BIAS_TYPES[dtype])]
    inputs = [1, 2, 0]
    if bias_type is not None:
        limit = {"int32": 5000, "int64": 2**24, "int16": 2**15}[bias_type]
        tensors.append(T((c["cout"],), dtype=bias_type, data=rng.integers(-limit, limit, c["cout"]).astype(bias_type),
                         scale=list(in_q[0] * np.atleast_1d(w_scale))))
        inputs.append(3)
    elif bias_inputs == 4:
        inputs.append(-1)
    tensors.append(T(out_shape, dtype=dtype, scale=out_q[0], zero_point=out_q[1]))
    opts = options("TransposeConvOptions", padding=c["padding"], strideH=c["sh"], strideW=c["sw"],
                   fusedActivationFunction=c["act"])
    return build_model([("TRANSPOSE_CONV", "TransposeConvOptions", opts, inputs, [len(tensors) - 1])],
                       tensors, [0], [len(tensors) - 1])


@CASES
@given(c=transpose_conv_case, in_scale=st.floats(0.002, 0.5), in_zp=st.integers(-128, 127),
       out_scale=st.floats(0.002, 0.5), out_zp=st.integers(-128, 127), bias_inputs=st.sampled_from([3, 4]))
def test_transpose_conv(tmp_path_factory, c, in_scale, in_zp, out_scale, out_zp, bias_inputs):
    """int8; without a bias the op has 3 inputs, or a 4th that is omitted (-1)."""
    model = _transpose_conv_model(c, "int8", (in_scale, in_zp), (out_scale, out_zp), bias_inputs)
    assert_bit_exact(model, str(tmp_path_factory.mktemp("tconv")))


@CASES
@given(c=transpose_conv_case, in_scale=st.floats(1e-4, 0.01), out_scale=st.floats(1e-4, 0.01))
def test_transpose_conv_16x8(tmp_path_factory, c, in_scale, out_scale):
    model = _transpose_conv_model(c, "int16", (in_scale, 0), (out_scale, 0))
    assert_bit_exact(model, str(tmp_path_factory.mktemp("tconv16")))


def _lower(model):
    return generate_aot(parse_tflite(model, "<test model>"), "m", "<test model>")


CASE = {"h": 3, "w": 3, "cin": 2, "cout": 2, "kh": 3, "kw": 3, "sh": 2, "sw": 2, "extra_h": 0, "extra_w": 0,
        "padding": 0, "act": 0, "per_channel": True, "bias": 0, "batches": 1, "seed": 0}


def test_transpose_conv_rejections():
    """int16 zero points (TFLite ignores them) and an output shape that does not transpose the
    input's stop with the reason; the generated code has no scratch buffer."""
    with pytest.raises(UserError, match="zero point 5 .*ignores zero points"):
        _lower(_transpose_conv_model(CASE, "int16", (0.001, 5), (0.001, 0)))
    graph = parse_tflite(_transpose_conv_model(dict(CASE, padding=1), "int8", (0.1, 0), (0.1, 0)), "<test model>")
    graph.tensors[-1].shape = (1, 9, 7, 2)  # VALID 3x3 with stride 2 takes 7 or 8 rows back to 3
    with pytest.raises(UserError, match=r"output shape \[1, 9, 7, 2\] that its padding and strides do not"):
        generate_aot(graph, "m", "<test model>")
    source = _lower(_transpose_conv_model(CASE, "int8", (0.1, 0), (0.1, 0)))["source"]
    assert "nn_transpose_conv_s8(&op0_params, " in source and "scratch" not in source
