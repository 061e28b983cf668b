"""Patterns of real vision models that onnx2tf and TFLite's converter turn into graphs
that are wrong, or that TFLite Micro rejects, built end to end from PyTorch with random
calibration and verified bit-exact: a padded max pool before a residual add (ResNet and
ShuffleNet stems), hard-sigmoid gates and hard-swish at opset 13 (PP-LCNet, MobileNetV3),
a grouped and a dense transposed convolution, a nearest and a bilinear upsample with a
concatenation (YOLO necks, U-Nets), and an image output (NCHW in ONNX, NHWC in TFLite)."""

import json
import os

import pytest

from conftest import copy_project, scons

pytestmark = pytest.mark.slow

NET = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        self.block = nn.Sequential(nn.Conv2d(16, 16, 3, 1, 1), nn.BatchNorm2d(16), nn.ReLU(),
                                   nn.Conv2d(16, 16, 3, 1, 1), nn.BatchNorm2d(16))
        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(16, 4, 1), nn.ReLU(), nn.Conv2d(4, 16, 1),
                                  nn.Hardsigmoid())
        self.swish = nn.Hardswish()
        self.up_grouped = nn.ConvTranspose2d(16, 16, 2, 2, groups=16)
        self.up_dense = nn.ConvTranspose2d(16, 8, 2, 2)
        self.up_nearest = nn.Upsample(scale_factor=2, mode="nearest")
        self.up_bilinear = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.head = nn.Conv2d(16 + 8 + 16 + 16, 6, 1)

    def forward(self, x):
        y = self.stem(x)
        y = torch.relu(y + self.block(y))
        y = self.swish(y * self.gate(y))
        ups = [self.up_grouped(y), self.up_dense(y), self.up_nearest(y), self.up_bilinear(y)]
        return self.head(torch.cat(ups, 1))  # an NCHW map of 6 channels


def example_input():
    return torch.zeros(1, 3, 32, 32)


def build_model():
    torch.manual_seed(0)
    net = Net()
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_var.uniform_(0.5, 1.5)
                m.running_mean.uniform_(-0.2, 0.2)
    return net.eval()
'''

TOML = '''
[pytorch]
weights = "random"

[calibration]
random = true
'''


@pytest.fixture(scope="module")
def patterns(tmp_path_factory):
    repo = copy_project(str(tmp_path_factory.mktemp("patterns")))
    folder = os.path.join(repo, "models", "patterns")
    os.makedirs(folder)
    with open(os.path.join(folder, "model.py"), "w") as f:
        f.write(NET)
    with open(os.path.join(folder, "model.toml"), "w") as f:
        f.write(TOML)
    proc = scons(repo, "target=host", "model=patterns", "vectors=10")
    with open(os.path.join(repo, "build/models/patterns/quant_report.json")) as f:
        return repo, proc, json.load(f)


def test_the_broken_patterns_are_repaired_and_said(patterns):
    _, proc, report = patterns
    repairs = " ".join(report["repairs"])
    assert "PADV2" in repairs and "before a max pool" in repairs
    assert "RELU_0_TO_1" in repairs
    assert "CONCATENATION" in repairs and "of 16 inputs" in repairs
    assert "repaired: " in proc.stdout
    assert "calibrated on seeded random inputs" in proc.stdout


def test_the_quantized_model_computes_what_the_float_one_does(patterns):
    _, _, report = patterns
    assert report["output_perm"] == [0, 3, 1, 2]  # TFLite's NHWC map, compared as ONNX's NCHW
    assert {"RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "TRANSPOSE_CONV"} <= set(report["ops"])
    assert report["mode"] == "int8"
    assert report["evaluation"]["int8"]["sqnr_db"] > 20
    assert all(layer["scale"] < 1e3 for layer in report["layers"])


def test_the_firmware_is_bit_exact(patterns):
    repo, _, _ = patterns
    with open(os.path.join(repo, "build/host/aot/patterns/verify.json")) as f:
        verify = json.load(f)
    assert verify["bit_exact"] and verify["vectors"] == 10
