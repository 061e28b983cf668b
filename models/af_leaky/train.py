"""Train af_leaky's model.py on ../shared/af_detection; write its model.pt (the state_dict).

    python3 models/af_leaky/train.py --kind leaky --offset 1024 --out models/af_leaky/model.pt
    python3 models/af_leaky/train.py --kind heads --offset 4096 --out models/af_heads/model.pt

af_detection's training (the same data, augmentation, schedule and seeds), another network.
"""

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from model import build_model  # noqa: E402  (this folder's; af_detection's training imports it too)

_spec = importlib.util.spec_from_file_location("af_detection_train", HERE.parent / "af_detection" / "train.py")
af_detection_train = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(af_detection_train)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=("leaky", "heads"), required=True)
    ap.add_argument("--offset", type=float, required=True, help="as model.toml's [pytorch] arguments say")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=af_detection_train.DEFAULT_DATA)
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()

    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    x, y = af_detection_train.load(args.data, "train")
    xe, ye = af_detection_train.load(args.data, "eval")
    model = build_model(args.kind, args.offset)
    start = time.time()
    af_detection_train.train(model, x, y, args.epochs, gen)
    torch.save(model.state_dict(), args.out)
    print(f"trained {time.time() - start:.0f} s; torch eval accuracy "
          f"{af_detection_train.accuracy(model, xe, ye):.4f}")


if __name__ == "__main__":
    main()
