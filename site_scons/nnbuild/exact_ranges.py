"""The true range of a float .tflite's tensors over calibration samples, measured with
TFLite's reference kernels (CPU-independent float results) on every processor: the
slowest part of quantizing a large model."""

import warnings

import numpy as np

from nnbuild.sample_pool import over_samples


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


def tensor_ranges(model_bytes, samples, tensors):
    """{tensor index: (min, max)} over all samples."""
    shares = over_samples(_ranges, model_bytes, samples, (tensors,), "exact ranges: sample")
    lows = np.min([low for low, _ in shares], axis=0)
    highs = np.max([high for _, high in shares], axis=0)
    return {i: (float(lo), float(hi)) for i, lo, hi in zip(tensors, lows, highs)}
