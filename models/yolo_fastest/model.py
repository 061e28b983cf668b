"""A YOLO-fastest-like detector in plain PyTorch: a depthwise separable backbone down to
1/32 of the input, a 1x1 neck, nearest-neighbour upsampling, a concatenation with the
1/16 features, and two 1x1 detection heads (3 anchors x (4 box + 1 object + classes)).

The two heads are flattened and concatenated into one output, [1, boxes * values]:
nnbuild's C API has one output tensor. Random (seeded) weights.
"""

import torch
from torch import nn

SEED = 0
ANCHORS = 3
# (output channels, stride) of the backbone's depthwise separable blocks after the stem
BACKBONE = ((16, 1), (24, 2), (24, 1), (48, 2), (48, 1), (96, 2), (96, 1), (96, 1), (192, 2), (192, 1))


def _conv_bn_relu(cin, cout, kernel, stride, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU6())


def _separable(cin, cout, stride):
    return nn.Sequential(_conv_bn_relu(cin, cin, 3, stride, groups=cin), _conv_bn_relu(cin, cout, 1, 1))


class Detector(nn.Module):
    def __init__(self, classes):
        super().__init__()
        stages, cin = [_conv_bn_relu(3, 16, 3, 2)], 16
        for cout, stride in BACKBONE:
            stages.append(_separable(cin, cout, stride))
            cin = cout
        self.to_16 = nn.Sequential(*stages[:-2])   # 1/16 of the input, 96 channels
        self.to_32 = nn.Sequential(*stages[-2:])   # 1/32, 192 channels
        outputs = ANCHORS * (5 + classes)
        self.neck = _conv_bn_relu(192, 96, 1, 1)
        self.head_32 = nn.Conv2d(96, outputs, 1)
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        self.fuse = _separable(96 + 96, 96, 1)
        self.head_16 = nn.Conv2d(96, outputs, 1)

    def forward(self, x):
        f16 = self.to_16(x)
        neck = self.neck(self.to_32(f16))
        fused = self.fuse(torch.cat([self.upsample(neck), f16], 1))
        return torch.cat([self.head_32(neck).flatten(1), self.head_16(fused).flatten(1)], 1)


def example_input(resolution=256, classes=20):
    return torch.zeros(1, 3, resolution, resolution)


def build_model(resolution=256, classes=20):
    torch.manual_seed(SEED)
    net = Detector(classes)
    _live_statistics(net, example_input(resolution, classes))
    return net.eval()


def _live_statistics(net, example):
    """BatchNorm statistics measured on random inputs, as training leaves them, and random
    affine terms: every layer's activations keep their scale and the output depends on the
    input. (With fixed statistics the signal fades layer by layer under PyTorch's default
    initialisation, and the network outputs its last bias whatever the input: a model on
    which no quantization error could show.)"""
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the batches below
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    net.train()
    with torch.no_grad():
        for _ in range(4):
            net(torch.randn(8, *example.shape[1:]))
