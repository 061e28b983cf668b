"""The true range of a float .tflite's tensors over calibration samples, measured with
TFLite's reference kernels (CPU-independent float results) and shared among the
machine's processors: the slowest part of quantizing a large model."""

import os
import tempfile
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np

from nnbuild.progress import Ticker

WORTH_A_WORKER_S = 10  # below this much estimated work, starting processes costs more than it saves


def _interpreter(model_bytes):
    import tensorflow as tf

    with warnings.catch_warnings():  # its deprecation notice; TF 2.19 is pinned
        warnings.simplefilter("ignore")
        interp = tf.lite.Interpreter(
            model_content=model_bytes, experimental_preserve_all_tensors=True,  # no buffer is shared
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    return interp


def _ranges(model_bytes, samples, tensors, ticker=None):
    """(lows, highs) of `tensors` over `samples`, one interpreter run each."""
    interp = _interpreter(model_bytes)
    (inp,) = interp.get_input_details()
    lows, highs = np.full(len(tensors), np.inf), np.full(len(tensors), -np.inf)
    for sample in samples:
        interp.set_tensor(inp["index"], sample[None].astype(np.float32))
        interp.invoke()
        for k, i in enumerate(tensors):
            v = interp.get_tensor(i)
            lows[k], highs[k] = min(lows[k], float(v.min())), max(highs[k], float(v.max()))
        if ticker:
            ticker.tick()
    return lows, highs


def _ranges_from_files(model_path, samples_path, tensors):
    """A worker's share, read from the files the parent wrote."""
    with open(model_path, "rb") as f:
        model_bytes = f.read()
    return _ranges(model_bytes, np.load(samples_path), tensors)


def tensor_ranges(model_bytes, samples, tensors):
    """{tensor index: (min, max)} over all samples."""
    ticker = Ticker("exact ranges: sample", len(samples))
    lows, highs = _ranges(model_bytes, samples[:1], tensors, ticker)
    workers = len(os.sched_getaffinity(0))
    rest = samples[1:]
    if workers > 1 and ticker.elapsed() * len(rest) > WORTH_A_WORKER_S:
        shares = np.array_split(np.arange(len(rest)), workers)
        with tempfile.TemporaryDirectory(prefix="nnbuild-ranges-") as tmp, \
                ProcessPoolExecutor(workers - 1, mp_context=get_context("spawn")) as pool:
            model_path = os.path.join(tmp, "model.tflite")
            with open(model_path, "wb") as f:
                f.write(model_bytes)
            futures = []
            for k, share in enumerate(shares[1:]):
                path = os.path.join(tmp, f"samples{k}.npy")
                np.save(path, rest[share])
                futures.append(pool.submit(_ranges_from_files, model_path, path, tensors))
            parts = [_ranges(model_bytes, rest[shares[0]], tensors, ticker.scaled(workers))]
            parts += [future.result() for future in futures]
    else:
        parts = [_ranges(model_bytes, rest, tensors, ticker)]
    for low, high in parts:
        lows, highs = np.minimum(lows, low), np.maximum(highs, high)
    ticker.done()
    return {i: (float(lo), float(hi)) for i, lo, hi in zip(tensors, lows, highs)}
