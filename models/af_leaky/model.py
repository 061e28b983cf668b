"""Two AF detectors of af_detection's family built to lose accuracy in int8, as real ECG models
do (one 3 points, another 19), and to keep it in 16 bits: activations are quantized per
tensor, and a tensor in which one channel spans a far larger range than the others leaves
int8's 256 steps too coarse for the others (int16's 65536 are not).

kind="leaky": af_detection's conv stack with LeakyReLU blocks; in two of them the max pool
sees channel 0 shifted by a large `offset`, taken back after it.
kind="heads": a shorter stack and three heads, each a MEAN over time and a fully connected layer
to the logits, summed; in one of them the mean sees channel 0 shifted so.

The shift changes nothing in float (max pool and mean commute with it); the larger `offset`,
the more int8 loses. Nothing but the shifted tensors needs 16 bits: the weights never see
the offset.
"""

import torch
from torch import nn

SAMPLES = 1250  # 5 s at 250 Hz

# (out_channels, kernel, stride, shifted pool) of each conv block along time.
LEAKY_BLOCKS = ((8, 7, 2, False), (16, 5, 1, False), (16, 5, 1, False), (24, 5, 1, True), (32, 5, 1, True),
                (32, 3, 1, False))
HEAD_TRUNK = ((8, 7, 2), (16, 5, 1), (24, 5, 1), (32, 5, 1))
HEADS = ((16, False), (16, False), (24, True))  # (channels, shifted mean) of each head


class Shifted(nn.Module):
    """inner(x + offset) - offset, the offset on channel 0 (of NCHW tensors)."""

    def __init__(self, inner, channels, offset):
        super().__init__()
        self.inner = inner
        # [C, 1, 1]: onnx2tf moves such a constant to NHWC right (a [1, C, 1, 1] one, by an input of
        # width 1, it does not).
        values = torch.zeros(channels, 1, 1)
        values[0] = offset
        self.register_buffer("offset", values, persistent=False)  # the model's argument, not its state

    def forward(self, x):
        return self.inner(x + self.offset) - self.offset


class Mean(nn.Module):
    """The mean over time (ReduceMean, TFLite's MEAN), keeping the dimensions (width is 1: over
    time alone, onnx2tf needs no TRANSPOSE before it)."""

    def forward(self, x):
        return torch.mean(x, dim=2, keepdim=True)


def _conv(cin, cout, k, s, act):
    return [nn.Conv2d(cin, cout, (k, 1), (s, 1), (k // 2, 0), bias=False), nn.BatchNorm2d(cout), act()]


def _maybe_shifted(inner, channels, offset):
    return Shifted(inner, channels, offset) if offset else inner


class Heads(nn.Module):
    def __init__(self, cin, offset):
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Sequential(*_conv(cin, c, 3, 1, nn.ReLU), _maybe_shifted(Mean(), c, offset * shifted), nn.Flatten())
            for c, shifted in HEADS)
        self.fcs = nn.ModuleList(nn.Linear(c, 2) for c, _ in HEADS)

    def forward(self, x):
        logits = [fc(branch(x)) for branch, fc in zip(self.branches, self.fcs)]
        return logits[0] + logits[1] + logits[2]


def example_input(**_):
    """The input of either kind (the arguments are build_model's)."""
    return torch.zeros(1, 1, SAMPLES, 1)


def build_model(kind="leaky", offset=256.0):
    layers, cin = [], 1
    if kind == "leaky":
        for i, (cout, k, s, shifted) in enumerate(LEAKY_BLOCKS):
            layers += _conv(cin, cout, k, s, lambda: nn.LeakyReLU(0.1))
            if i < len(LEAKY_BLOCKS) - 1:
                layers.append(_maybe_shifted(nn.MaxPool2d((2, 1)), cout, offset * shifted))
            cin = cout
        layers += [Mean(), nn.Flatten(), nn.Linear(cin, 2)]
    elif kind == "heads":
        for cout, k, s in HEAD_TRUNK:
            layers += [*_conv(cin, cout, k, s, nn.ReLU), nn.MaxPool2d((2, 1))]
            cin = cout
        layers.append(Heads(cin, offset))
    else:
        raise ValueError(f"kind={kind!r}: 'leaky' or 'heads'")
    return nn.Sequential(*layers)
