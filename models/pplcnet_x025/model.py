"""PP-LCNet (Cui et al. 2021, PaddleClas) in plain PyTorch: depthwise separable blocks
with hard-swish, 5x5 depthwise convolutions and squeeze-and-excitation gates
(hard-sigmoid) in the last stage, then a 1x1 "class expand" convolution.

Random (seeded) weights; `scale` scales the channels (x0.25 here), `resolution`
the square RGB input. Exported at opset 13, where hard-swish is HardSigmoid * x.
"""

import torch
from torch import nn

SEED = 0
# (kernel, input channels, output channels, stride, squeeze-excitation) at scale 1.0
BLOCKS = ((3, 16, 32, 1, False),
          (3, 32, 64, 2, False), (3, 64, 64, 1, False),
          (3, 64, 128, 2, False), (3, 128, 128, 1, False),
          (3, 128, 256, 2, False), *((5, 256, 256, 1, False),) * 5,
          (5, 256, 512, 2, True), (5, 512, 512, 1, True))
CLASS_EXPAND = 1280


def _divisible(channels, divisor=8):
    rounded = max(divisor, int(channels + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * channels else rounded


def _conv_bn_hswish(cin, cout, kernel, stride, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.Hardswish())


class SqueezeExcitation(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(channels, channels // 4, 1), nn.ReLU(),
                                  nn.Conv2d(channels // 4, channels, 1), nn.Hardsigmoid())

    def forward(self, x):
        return x * self.gate(x)


def _block(kernel, cin, cout, stride, squeeze):
    layers = [_conv_bn_hswish(cin, cin, kernel, stride, groups=cin)]
    if squeeze:
        layers.append(SqueezeExcitation(cin))
    return nn.Sequential(*layers, _conv_bn_hswish(cin, cout, 1, 1))


def example_input(scale=0.25, resolution=224, classes=1000):
    return torch.zeros(1, 3, resolution, resolution)


def build_model(scale=0.25, resolution=224, classes=1000):
    torch.manual_seed(SEED)
    layers = [_conv_bn_hswish(3, _divisible(16 * scale), 3, 2)]
    for kernel, cin, cout, stride, squeeze in BLOCKS:
        layers.append(_block(kernel, _divisible(cin * scale), _divisible(cout * scale), stride, squeeze))
    net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1),
                        nn.Conv2d(_divisible(BLOCKS[-1][2] * scale), CLASS_EXPAND, 1), nn.Hardswish(),
                        nn.Flatten(), nn.Linear(CLASS_EXPAND, classes))
    _live_statistics(net, example_input(scale, resolution, classes))
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
