"""Kernel variants: a board's instruction-set features pick override folders of kernels/,
whose files replace the reference kernels of the same name."""

from nnbuild.runtimes.aot import kernel_sources
from nnbuild.runtimes.aot.ops.common import kernel
from nnbuild.targets import load_target


def _kernels(tmp_path):
    for name in ("conv2d_s8.c", "pooling_s8.c", "nn_kernels.h"):
        (tmp_path / name).write_text("/* reference */\n")
    for feature, name in (("mve", "conv2d_s8.c"), ("dsp", "conv2d_s8.c"), ("dsp", "pooling_s8.c")):
        (tmp_path / feature).mkdir(exist_ok=True)
        (tmp_path / feature / name).write_text(f"/* {feature} */\n")
    return str(tmp_path)


def test_the_first_feature_with_a_file_replaces_the_reference(tmp_path):
    board = load_target("cortex-m55")
    board.features = ["mve", "dsp"]
    chosen = kernel_sources(board, _kernels(tmp_path))
    assert chosen == {"conv2d_s8.c": str(tmp_path / "mve" / "conv2d_s8.c"),
                      "pooling_s8.c": str(tmp_path / "dsp" / "pooling_s8.c")}


def test_a_board_without_features_compiles_the_reference(tmp_path):
    board = load_target("host")
    assert board.features == []
    assert kernel_sources(board, _kernels(tmp_path)) == {"conv2d_s8.c": str(tmp_path / "conv2d_s8.c"),
                                                         "pooling_s8.c": str(tmp_path / "pooling_s8.c")}


def test_lowerings_name_kernels_through_one_function():
    assert kernel("conv2d", "int16", variant="acc32") == "nn_conv2d_s16_acc32"
    assert kernel("dequantize", "int8", "float32") == "nn_dequantize_s8_f32"
    assert kernel("softmax", "int8", "int16") == "nn_softmax_s8_s16"
