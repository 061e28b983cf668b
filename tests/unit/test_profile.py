"""profile=1's arithmetic: the plugin's buckets become operators, the generated code marks
every operator with code, and MACs are counted per operator."""

from nnbuild.profile import format_profile, operator_profile
from nnbuild.runtimes.aot.codegen import generate_aot
from nnbuild.tflite_model import load_tflite
from tflite_builder import T, build_model, options


def _nodes():
    return [{"node": 0, "index": 0, "opcode": "CONV_2D", "macs": 100, "output": "conv"},
            {"node": 1, "index": 2, "opcode": "SOFTMAX", "macs": 0, "output": "probs"}]


def test_buckets_become_operators_and_the_copies_are_apart():
    # Two inferences: bucket 0 copies the input, 1 and 2 are the operators, 3 copies the output.
    profile = operator_profile(_nodes(), {0: 20, 1: 600, 2: 200, 3: 10}, calls=2)
    assert [r["instructions"] for r in profile["operators"]] == [300, 100]
    assert profile["instructions"] == 415 and profile["input_output_copy"] == 15
    assert [round(r["share"], 3) for r in profile["operators"]] == [round(300 / 415, 3), round(100 / 415, 3)]
    assert profile["operators"][0]["instructions_per_mac"] == 3.0
    assert profile["operators"][1]["instructions_per_mac"] is None
    table = format_profile({**profile, "function": "m_invoke", "emulator": "qemu-x"})
    assert "CONV_2D" in table and "72.3%" in table and "415 instructions per inference inside m_invoke" in table


def test_every_operator_with_code_is_marked_in_order(tmp_path):
    tensors = [T((1, 4, 4, 2), scale=0.1, zero_point=1), T((3, 3, 3, 2), scale=0.02, data=[1] * 54),
               T((3,), dtype="int32", scale=0.002, data=[5, 6, 7]), T((1, 4, 4, 3), scale=0.2),
               T((2,), dtype="int32", data=[1, 48]), T((1, 48), scale=0.2)]
    conv = options("Conv2DOptions", padding=0, strideW=1, strideH=1)
    path = tmp_path / "m.tflite"
    path.write_bytes(build_model([("CONV_2D", "Conv2DOptions", conv, [0, 1, 2], [3]),
                                  ("RESHAPE", None, None, [3, 4], [5])], tensors, [0], [5]))
    generated = generate_aot(load_tflite(str(path)), "m", origin="m.tflite")
    nodes = generated["info"]["nodes"]
    assert [(n["node"], n["opcode"], n["macs"]) for n in nodes] == [(0, "CONV_2D", 4 * 4 * 3 * 3 * 3 * 2)]
    source = generated["source"]
    assert source.index("NN_PROFILE_NODE(0);") < source.index("nn_conv2d_s8(") < source.index("NN_PROFILE_NODE(1);")
