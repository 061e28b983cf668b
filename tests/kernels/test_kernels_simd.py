"""The kernel variants of an instruction set under its board's emulator: Helium (kernels/mve/)
on cortex-m55 under qemu-system-arm (mps3-an547), LSX (kernels/lsx/) on loongarch64-lsx under
qemu 10. Random cases of the operators they implement (fully connected, pointwise, spatial,
grouped and depthwise convolutions, ADD, pools), each a one-operator model, and the in-place
models of test_kernels_in_place (folded PADs, in-place and row-streamed convolutions), built for
the board and verified byte for byte against the TFLite Micro interpreter; all cases of a board
are one scons run (a matrix of models)."""

import json
import os

import numpy as np
import pytest

from conftest import copy_project, scons
from nnbuild.runtimes.aot import kernel_sources
from nnbuild.targets import load_target
from test_kernels import GROUPED, _conv_model, _fc_model, _grouped_conv_model, _pool_model
from test_kernels_elementwise import _binary_model
from test_kernels_in_place import CHAIN_CASES, PAD_CASES, block_model, chain_model, pad_conv_model

pytestmark = pytest.mark.slow


def _cases(count, seed=0):
    """Deterministic random FULLY_CONNECTED and pointwise CONV_2D cases; the depths cover a
    vector's tail (not a multiple of 16), exactly one vector, and several."""
    rng = np.random.default_rng(seed)
    depths = [1, 15, 16, 17, 33, 64, 100, 250]
    for i in range(count):
        depth, zp = depths[i % len(depths)], int(rng.integers(-128, 128))
        scales = [float(rng.uniform(0.002, 0.5)) for _ in range(2)]
        act, per_channel, seed_i = int(rng.choice([0, 1, 3])), bool(rng.integers(2)), int(rng.integers(2**16))
        if i % 2:
            yield f"fc{i}", _fc_model(int(rng.integers(1, 4)), depth, int(rng.integers(1, 20)), act, scales[0], zp,
                                      scales[1], int(rng.integers(-128, 128)), per_channel, bool(rng.integers(2)),
                                      seed_i)
        else:
            case = {"h": int(rng.integers(1, 6)), "w": int(rng.integers(1, 6)), "cin": depth,
                    "cout": int(rng.integers(1, 20)), "kh": 1, "kw": 1, "sh": 1, "sw": 1, "dh": 1, "dw": 1,
                    "padding": int(rng.integers(2)), "act": act, "in_scale": scales[0], "in_zp": zp,
                    "out_scale": scales[1], "out_zp": int(rng.integers(-128, 128)), "per_channel": per_channel,
                    "seed": seed_i, "multiplier": 1}
            yield f"pointwise{i}", _conv_model(case, depthwise=False)


def _spatial_cases(count, seed=1):
    """Deterministic random CONV_2D and DEPTHWISE_CONV_2D cases: filters up to 5x5, strides and
    dilations of 1 and 2 (x dilation splits a filter row tap by tap), SAME
    padding at every border, channel counts around a vector's width, depth multipliers 1 and 2;
    then two convolutions whose filters are larger than the kernel's patch (1024 bytes),
    grouped ones, and convolutions over signals (1-D, padded at both ends)."""
    rng = np.random.default_rng(seed)
    made = 0
    while made < count:
        depthwise = made % 2 == 1
        case = {"h": int(rng.integers(1, 9)), "w": int(rng.integers(1, 9)),
                "cin": int(rng.choice([1, 3, 4, 5, 8, 16, 17, 20])), "cout": int(rng.integers(1, 11)),
                "kh": int(rng.integers(1, 6)), "kw": int(rng.integers(1, 6)),
                "sh": int(rng.integers(1, 3)), "sw": int(rng.integers(1, 3)),
                "dh": int(rng.choice([1, 1, 2])), "dw": int(rng.choice([1, 1, 2])), "padding": int(rng.integers(2)),
                "act": int(rng.choice([0, 1, 3])), "in_scale": float(rng.uniform(0.002, 0.5)),
                "in_zp": int(rng.integers(-128, 128)), "out_scale": float(rng.uniform(0.002, 0.5)),
                "out_zp": int(rng.integers(-128, 128)), "per_channel": bool(rng.integers(2)),
                "seed": int(rng.integers(2**16)), "multiplier": int(rng.choice([1, 1, 1, 2])) if depthwise else 1}
        model = _conv_model(case, depthwise=depthwise)
        if model is not None:
            yield f"{'depthwise' if depthwise else 'conv'}{made}", model
            made += 1
    for stride in (1, 2):  # 5x5x60 = 1500 bytes, SAME padding: every border
        case = {"h": 6, "w": 7, "cin": 60, "cout": 6, "kh": 5, "kw": 5, "sh": stride, "sw": stride, "dh": 1,
                "dw": 1, "padding": 0, "act": 1, "in_scale": 0.05, "in_zp": -37, "out_scale": 0.4, "out_zp": 9,
                "per_channel": True, "seed": stride, "multiplier": 1}
        yield f"large{stride}", _conv_model(case, depthwise=False)
    for i, grouped in enumerate(GROUPED):
        yield f"grouped{i}", _grouped_conv_model(*grouped)
    for cin, stride in ((1, 2), (3, 1)):  # signals (width 1): four output rows per weight load
        case = {"h": 23, "w": 1, "cin": cin, "cout": 5, "kh": 7, "kw": 1, "sh": stride, "sw": 1, "dh": 1, "dw": 1,
                "padding": 0, "act": 1, "in_scale": 0.05, "in_zp": 11, "out_scale": 0.3, "out_zp": -5,
                "per_channel": True, "seed": cin, "multiplier": 1}
        yield f"signal{cin}", _conv_model(case, depthwise=False)


def _add_cases(count, seed=2):
    """Deterministic random ADD cases: equal shapes (the vector rows, lengths not a multiple of
    four included) and broadcasts along and across rows (the portable kernel's)."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        h, w, c = (int(v) for v in rng.integers(1, 8, 3))
        full = (1, h, w, c)
        shape2 = [full, (c,), (1, h, 1, c), (1, h, w, 1)][i % 4]
        case = {"shapes": (full, shape2, full), "act": int(rng.choice([0, 1, 3])), "input_first": bool(i % 2),
                "scale1": float(rng.uniform(0.002, 0.5)), "zp1": int(rng.integers(-128, 128)),
                "scale2": float(rng.uniform(0.002, 0.5)), "zp2": int(rng.integers(-128, 128)),
                "out_scale": float(rng.uniform(0.002, 0.5)), "out_zp": int(rng.integers(-128, 128)),
                "seed": int(rng.integers(2**16))}
        yield f"add{i}", _binary_model("ADD", case)


def _in_place_cases():
    """The int8 models of test_kernels_in_place: the board's depthwise kernel run row by row over
    its own input, its convolutions reading a folded PAD's input, its ADD over an input, chains of
    its convolutions row by row (row-streamed stages)."""
    for i, (kind, dtype, h, w, cin, pads, k, stride, dilation, padv2) in enumerate(PAD_CASES):
        if dtype == "int8":
            yield f"padfold{i}", pad_conv_model(kind, dtype, h, w, cin, pads, k, stride, dilation, i, padv2)
    for i, shape in enumerate([(8, 8, 16), (7, 5, 3), (12, 1, 33)]):
        yield f"block{i}", block_model("int8", *shape, seed=i)
    for i, ((h, w, c), layers) in enumerate(CHAIN_CASES.values()):
        yield f"chain{i}", chain_model("int8", h, w, c, layers, seed=i)


VARIANTS = {"cortex-m55": ("mve", ["fully_connected_s8.c", "conv2d_s8.c", "depthwise_conv2d_s8.c", "elementwise_s8.c",
                           "pooling_s8.c"]),
            "loongarch64-lsx": ("lsx", ["fully_connected_s8.c", "conv2d_s8.c", "depthwise_conv2d_s8.c"]),
            "milkv-duo": ("scalar64", ["fully_connected_s8.c", "conv2d_s8.c"])}


def _pool_cases(count, seed=3):
    """Deterministic random MAX_POOL_2D (and AVERAGE_POOL_2D) cases: channel counts around a
    vector's 16 lanes, windows up to 4x4, SAME padding's clipped windows."""
    rng = np.random.default_rng(seed)
    made = 0
    while made < count:
        model = _pool_model(int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.choice([1, 8, 15, 16, 17, 40])),
                            int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 3)),
                            int(rng.integers(1, 3)), int(rng.integers(2)), int(rng.choice([0, 1, 3])),
                            float(rng.uniform(0.002, 0.5)), int(rng.integers(-128, 128)),
                            "AVERAGE_POOL_2D" if made % 4 == 3 else "MAX_POOL_2D")
        if model is not None:
            yield f"pool{made}", model
            made += 1


@pytest.mark.parametrize("target", VARIANTS)
def test_the_board_compiles_its_variants(target):
    feature, names = VARIANTS[target]
    chosen = kernel_sources(load_target(target))
    for name in names:
        assert chosen[name] == os.path.join("kernels", feature, name)


@pytest.mark.parametrize("target", VARIANTS)
def test_variants_are_bit_exact_under_the_emulator(tmp_path, target):
    repo = copy_project(str(tmp_path))
    files = []
    for name, model in [*_cases(16), *_spatial_cases(24), *_add_cases(12), *_pool_cases(12), *_in_place_cases()]:
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(model)
        files.append(str(path))
    scons(repo, "-j2", f"target={target}", f"model={','.join(files)}", "vectors=8")
    for path in files:
        name = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(repo, "build", target, "aot", name, "verify.json")) as f:
            verify = json.load(f)
        assert verify["bit_exact"] and verify["vectors"] == 8, (name, verify)
