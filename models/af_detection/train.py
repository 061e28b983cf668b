"""Train the AF detector on ../shared/af_detection; write model.onnx and model.pt.

    python3 models/af_detection/train.py [--data DIR] [--epochs N]

Deterministic: fixed seeds, deterministic algorithms and one thread (small
convolutions gain nothing from a second thread, and lose a lot to it when the
machine is busy). The export is the float model the build quantizes:
opset 13, input `input` [1,1,1250,1], output `output` [1,2] logits, BatchNorm
folded into Conv, and only ops the int8 pipeline supports. model.pt is the
trained state_dict of model.py's build_model(), BatchNorm unfolded: the
PyTorch route (runtime=executorch) exports from it.
"""

import argparse
import collections
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from model import build_model, example_input

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parents[2] / "shared" / "af_detection"  # ../shared beside the repo
MAX_BYTES = 64 * 1024
ALLOWED_OPS = {"Conv", "Relu", "MaxPool", "AveragePool", "Flatten", "Reshape", "Gemm"}


def load(data_dir, split):
    d = np.load(data_dir / f"ecg_{split}.npz")
    return torch.from_numpy(d["x"].astype(np.float32)), torch.from_numpy(d["y"])


def augment(x, gen):
    """Shift, rescale and add noise so the net keys on rhythm, not on where a
    beat falls in the window or on the exact amplitude normalisation."""
    n = x.shape[0]
    shift = int(torch.randint(-125, 126, (1,), generator=gen))  # up to 0.5 s
    x = torch.roll(x, shift, dims=1)
    scale = 0.8 + 0.4 * torch.rand(n, 1, generator=gen)
    noise = 0.02 * torch.rand(n, 1, generator=gen) * torch.randn(x.shape, generator=gen)
    return x * scale + noise


def as_input(x):
    return x[:, None, :, None]


def train(model, x, y, epochs, gen):
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-3)
    batch = 64
    steps = epochs * (len(x) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(len(x) // batch):
            idx = order[i * batch:(i + 1) * batch]
            loss = loss_fn(model(as_input(augment(x[idx], gen))), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        print(f"epoch {epoch + 1:3d}/{epochs}  loss {total / (len(x) // batch):.4f}", flush=True)


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    return (model(as_input(x)).argmax(1) == y).float().mean().item()


def export(model, path):
    model.eval()
    # The TorchScript exporter folds eval-mode BatchNorm into Conv and needs
    # no onnxscript (the dynamo exporter does); it warns that it is legacy.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (example_input(),), str(path), opset_version=13,
                          input_names=["input"], output_names=["output"],
                          do_constant_folding=True, dynamo=False)
    graph = onnx.load(str(path)).graph
    extra = {n.op_type for n in graph.node} - ALLOWED_OPS  # an unfolded BatchNormalization too
    if extra:
        raise SystemExit(f"{path}: ops the int8 pipeline lacks: {sorted(extra)}")
    if path.stat().st_size > MAX_BYTES:
        raise SystemExit(f"{path}: {path.stat().st_size} bytes, over {MAX_BYTES}")
    return graph


def onnx_accuracy(path, x, y):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inp = as_input(x).numpy()
    pred = [sess.run(None, {"input": inp[i:i + 1]})[0].argmax() for i in range(len(inp))]
    return float((np.array(pred) == y.numpy()).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--out", type=Path, default=HERE / "model.onnx")
    args = ap.parse_args()

    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)

    x, y = load(args.data, "train")
    xe, ye = load(args.data, "eval")
    model = build_model()
    start = time.time()
    train(model, x, y, args.epochs, gen)
    seconds = time.time() - start

    graph = export(model, args.out)
    torch.save(model.state_dict(), args.out.with_suffix(".pt"))
    params = sum(int(np.prod(t.dims)) for t in graph.initializer)
    ops = collections.Counter(n.op_type for n in graph.node)
    print(f"trained {seconds:.0f} s; torch eval accuracy {accuracy(model, xe, ye):.4f}")
    print(f"{args.out.name}: {args.out.stat().st_size} bytes, {params} parameters (BN folded), ops {dict(ops)}")
    print(f"onnxruntime eval accuracy {onnx_accuracy(args.out, xe, ye):.4f}")


if __name__ == "__main__":
    main()
