"""MobileNetV2 (Sandler et al. 2018) in plain PyTorch, as torchvision builds it.

Weights are random (seeded): nnbuild checks that such a network converts,
quantizes and runs bit-exact on a board, not what it recognizes. `width` scales
every layer's channels (0.35 and 1.0 are the common deployments), `resolution`
the square RGB input.
"""

import torch
from torch import nn

# (expansion, output channels, blocks, first stride) of the inverted residual stages
STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
SEED = 0


def _divisible(channels, divisor=8):
    """Round channels to a multiple of 8, never more than 10% down (torchvision's _make_divisible)."""
    rounded = max(divisor, int(channels + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * channels else rounded


def _conv_bn(cin, cout, kernel, stride, groups=1, activation=True):
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.ReLU6()) if activation else nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expansion):
        super().__init__()
        hidden = cin * expansion
        layers = [_conv_bn(cin, hidden, 1, 1)] if expansion != 1 else []
        layers += [_conv_bn(hidden, hidden, 3, stride, groups=hidden), _conv_bn(hidden, cout, 1, 1, activation=False)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)


def example_input(width=1.0, resolution=224, classes=1000):
    return torch.zeros(1, 3, resolution, resolution)


def build_model(width=1.0, resolution=224, classes=1000):
    torch.manual_seed(SEED)
    cin = _divisible(32 * width)
    layers = [_conv_bn(3, cin, 3, 2)]
    for expansion, channels, blocks, stride in STAGES:
        cout = _divisible(channels * width)
        for i in range(blocks):
            layers.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expansion))
            cin = cout
    last = _divisible(1280 * max(1.0, width))
    layers.append(_conv_bn(cin, last, 1, 1))
    net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(last, classes))
    _live_statistics(net, example_input(width, resolution, classes))
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
