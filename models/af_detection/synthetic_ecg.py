"""Deterministic synthetic single-lead ECG, 5 s at 250 Hz, for quantization
calibration when the real data in ../shared/af_detection is absent.

Each beat is a sum of Gaussians (P, Q, R, S, T) placed on an RR sequence: a
regular rhythm with P waves for even rows, and for odd rows an irregular one
(AF) without P waves but with a 4-9 Hz fibrillatory baseline. Baseline wander
and noise are added, then each segment is scaled and centred the way the real
segments are (peak-to-peak about 2, mean 0), so that activation ranges seen
during calibration match those of real input.
"""

import numpy as np

FS = 250
SAMPLES = 1250

# (offset from R in s, amplitude relative to R, width in s) of Q, R, S, T.
QRST = ((-0.03, -0.08, 0.010), (0.0, 1.0, 0.009), (0.03, -0.15, 0.011), (0.28, 0.30, 0.045))
P_WAVE = (-0.18, 0.12, 0.022)


def _rr_times(rng, af):
    """R-peak times covering the window, starting before it so it opens mid-rhythm."""
    mean_rr = 60.0 / rng.uniform(80, 130) if af else 60.0 / rng.uniform(55, 100)
    spread = 0.25 if af else 0.03
    t, times = -rng.uniform(0, mean_rr), []
    while t < SAMPLES / FS + 0.5:
        times.append(t)
        t += max(0.3, mean_rr * (1 + spread * rng.standard_normal()))
    return np.array(times)


def _segment(rng, af):
    t = np.arange(SAMPLES) / FS
    waves = [(o, a * rng.uniform(0.4, 1.6), w) for o, a, w in QRST]
    if not af:
        waves.append(P_WAVE)
    x = np.zeros(SAMPLES)
    for r in _rr_times(rng, af):
        for offset, amp, width in waves:
            x += amp * np.exp(-0.5 * ((t - r - offset) / width) ** 2)
    if af:
        # f waves: 4-9 Hz, phase-modulated so they are not a clean sinusoid
        phase = 2 * np.pi * rng.uniform(4, 9) * t + 3 * np.sin(0.7 * t)
        x += rng.uniform(0.03, 0.08) * np.sin(phase + rng.uniform(0, 2 * np.pi))
    if rng.random() < 0.1:  # some leads see the QRS inverted
        x = -x
    x += rng.uniform(0.01, 0.1) * np.sin(2 * np.pi * rng.uniform(0.15, 0.5) * t + rng.uniform(0, 2 * np.pi))
    x += rng.uniform(0.005, 0.02) * rng.standard_normal(SAMPLES)
    x *= rng.uniform(1.75, 2.05) / np.ptp(x)
    return x - x.mean()


def synthetic_ecg(n, seed=0):
    """n segments, float32 [n, 1250]; row i is AF when i is odd."""
    rng = np.random.default_rng(seed)
    return np.stack([_segment(rng, i % 2 == 1) for i in range(n)]).astype(np.float32)


if __name__ == "__main__":
    x = synthetic_ecg(200)
    print(f"synthetic_ecg(200): min {x.min():.3f} max {x.max():.3f} mean {x.mean():.4f} std {x.std():.3f}")
