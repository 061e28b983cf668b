"""A compact 1-D CNN that classifies a 5 s single-lead ECG segment as AF or not.

The network sees the raw segment as [N, 1, 1250, 1] (NCHW, time on H), like the
reference ECM model, so both share one input contract. Every layer is chosen
to survive int8 quantization and to map onto few kernels: Conv (BatchNorm is
folded into it at export), ReLU, MaxPool and AveragePool along time only,
then one fully connected layer to two logits (class 1 = AF).
"""

import torch
from torch import nn

SAMPLES = 1250  # 5 s at 250 Hz

# (out_channels, kernel, stride) of each conv block along time. Every block but
# the last is followed by a max pool of 2, which halves the time axis cheaply
# and keeps the sharp R peaks. The stack's receptive field is 437 samples
# (1.75 s, two or three beats), so each position can compare neighbouring RR
# intervals and look for P waves; the average over the window pools that.
BLOCKS = ((8, 7, 2), (16, 5, 1), (16, 5, 1), (24, 5, 1), (32, 5, 1), (32, 3, 1))


def _features():
    layers, cin = [], 1
    for i, (cout, k, s) in enumerate(BLOCKS):
        layers += [nn.Conv2d(cin, cout, (k, 1), (s, 1), (k // 2, 0), bias=False),
                   nn.BatchNorm2d(cout), nn.ReLU()]
        if i < len(BLOCKS) - 1:
            layers.append(nn.MaxPool2d((2, 1)))
        cin = cout
    return nn.Sequential(*layers)


def example_input():
    return torch.zeros(1, 1, SAMPLES, 1)


def build_model():
    features = _features()
    with torch.no_grad():
        remaining = features(example_input()).shape[2]
    # AvgPool2d with a fixed kernel exports as AveragePool, which int8
    # converters and the aot kernels handle; GlobalAveragePool/ReduceMean
    # would need extra kernels.
    return nn.Sequential(features, nn.AvgPool2d((remaining, 1)), nn.Flatten(),
                         nn.Linear(BLOCKS[-1][0], 2))
