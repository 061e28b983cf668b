"""ResNet-18 (He et al. 2016) in plain PyTorch, as torchvision builds it.

Random (seeded) weights: nnbuild checks conversion, quantization and bit-exact
firmware, not recognition. Its stem, a convolution followed by a padded max
pool, is the pattern that once made every quantized ResNet wrong.
"""

import torch
from torch import nn

SEED = 0
STAGES = ((64, 1), (128, 2), (256, 2), (512, 2))  # (channels, first stride), two blocks each


def _conv_bn(cin, cout, kernel, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(_conv_bn(cin, cout, 3, stride), nn.ReLU(), _conv_bn(cout, cout, 3, 1))
        self.shortcut = _conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else nn.Identity()
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.body(x) + self.shortcut(x))


def example_input(resolution=224, classes=1000):
    return torch.zeros(1, 3, resolution, resolution)


def build_model(resolution=224, classes=1000):
    torch.manual_seed(SEED)
    layers = [_conv_bn(3, 64, 7, 2), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for channels, stride in STAGES:
        layers += [BasicBlock(cin, channels, stride), BasicBlock(channels, channels, 1)]
        cin = channels
    net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes))
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
