"""The Helium (MVE) kernel variants of kernels/mve/ on the Cortex-M55 under qemu-system-arm
(mps3-an547): random cases of the operators they implement, each a one-operator model built
for cortex-m55 and verified byte for byte against the TFLite Micro interpreter. All cases
are one scons run (a matrix of models)."""

import json
import os

import numpy as np
import pytest

from conftest import copy_project, scons
from nnbuild.runtimes.aot import kernel_sources
from nnbuild.targets import load_target
from test_kernels import _conv_model, _fc_model

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


def test_cortex_m55_compiles_the_mve_variants():
    chosen = kernel_sources(load_target("cortex-m55"))
    assert chosen["fully_connected_s8.c"] == os.path.join("kernels", "mve", "fully_connected_s8.c")


def test_mve_kernels_are_bit_exact_under_the_emulator(tmp_path):
    repo = copy_project(str(tmp_path))
    files = []
    for name, model in _cases(16):
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(model)
        files.append(str(path))
    scons(repo, "-j2", "target=cortex-m55", f"model={','.join(files)}", "vectors=8")
    for path in files:
        name = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(repo, "build", "cortex-m55", "aot", name, "verify.json")) as f:
            verify = json.load(f)
        assert verify["bit_exact"] and verify["vectors"] == 8, (name, verify)
