"""SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND on int8 NHWC (or 3-D NHC) tensors, the pair TensorFlow
wraps around a convolution to dilate it. TFLite Micro has no int16 kernels for them.

The block shape and the paddings or crops are constant tensors, folded into the parameters.
TFLite Micro pads SPACE_TO_BATCH_ND with a value it never sets (SpaceToBatchParams.output_offset
is left uninitialized, so it pads with whatever its arena held); the aot kernel pads with the
output zero point, the real 0.0 that TensorFlow and TFLite pad with.
"""

import numpy as np

from nnbuild.c_literals import c_array
from nnbuild.runtimes.aot.ops.common import (Lowering, Unsupported, activation_dtype, call_with_params, kernel,
                                             quant)


def _nhwc(shape):
    """A 3-D [n, h, c] shape as TFLite's kernels extend it, to [n, h, 1, c]."""
    return c_array(shape if len(shape) == 4 else (shape[0], shape[1], 1, shape[2]))


def _operands(graph, op, what):
    """Input, output, block shape [bh, bw] and [[top, bottom], [left, right]] of `what` (paddings
    or crops), a 3-D tensor's as block width 1 and no left or right."""
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    activation_dtype(graph, op, [x.index, y.index])  # int8 (its Lowering): TFLite Micro has no int16 kernels
    if len(x.shape) not in (3, 4) or len(y.shape) != len(x.shape):
        raise Unsupported(f"input of shape {list(x.shape)} and output of shape {list(y.shape)} "
                          "(TFLite Micro takes 3-D or 4-D tensors of one rank)")
    spatial = len(x.shape) - 2
    values = []
    for position, name, shape in ((1, "block shape", (spatial,)), (2, what, (spatial, 2))):
        t = graph.tensors[op.inputs[position]]
        if not t.is_constant or t.dtype != "int32" or tuple(t.shape) != shape:
            raise Unsupported(f"a {name} that is not a constant int32 tensor of shape {list(shape)}")
        values.append(np.asarray(t.data, dtype=np.int64))
    block, margins = values
    if block.min() < 1 or margins.min() < 0:
        raise Unsupported(f"block shape {block.tolist()} and {what} {margins.tolist()}")
    if spatial == 1:
        block, margins = np.append(block, 1), np.vstack([margins, [0, 0]])
    return x, y, [int(v) for v in block], margins.tolist()


def lower_space_to_batch_nd(graph, op, names):
    x, y, (bh, bw), ((top, bottom), (left, right)) = _operands(graph, op, "paddings")
    n, h, w = x.shape[0], x.shape[1], x.shape[2] if len(x.shape) == 4 else 1
    if (h + top + bottom) % bh or (w + left + right) % bw:
        raise Unsupported(f"a padded size {h + top + bottom}x{w + left + right} that the block "
                          f"{bh}x{bw} does not divide")
    expected = [n * bh * bw, (h + top + bottom) // bh, (w + left + right) // bw, x.shape[-1]]
    if len(y.shape) == 3:
        del expected[2]
    if list(y.shape) != expected:
        raise Unsupported(f"output shape {list(y.shape)} where its block shape and paddings give {expected}")
    return call_with_params(op, names, kernel("space_to_batch", "int8"), "nn_space_to_batch_params", {
        "input": _nhwc(x.shape), "output": _nhwc(y.shape), "block_h": bh, "block_w": bw,
        "pad_top": top, "pad_left": left, "pad_value": quant(y)[1],
    }, [x, y])


def lower_batch_to_space_nd(graph, op, names):
    x, y, (bh, bw), ((top, bottom), (left, right)) = _operands(graph, op, "crops")
    n, h, w = x.shape[0], x.shape[1], x.shape[2] if len(x.shape) == 4 else 1
    if n % (bh * bw):
        raise Unsupported(f"a batch of {n} that the block {bh}x{bw} does not divide")
    expected = [n // (bh * bw), h * bh - top - bottom, w * bw - left - right, x.shape[-1]]
    if len(y.shape) == 3:
        del expected[2]
    if list(y.shape) != expected or min(expected) < 1:
        raise Unsupported(f"output shape {list(y.shape)} where its block shape and crops give {expected}")
    return call_with_params(op, names, kernel("batch_to_space", "int8"), "nn_batch_to_space_params", {
        "input": _nhwc(x.shape), "output": _nhwc(y.shape), "block_h": bh, "block_w": bw,
        "crop_top": top, "crop_left": left,
    }, [x, y])


LOWERINGS = {"BATCH_TO_SPACE_ND": Lowering(lower_batch_to_space_nd, ("int8",)),
             "SPACE_TO_BATCH_ND": Lowering(lower_space_to_batch_nd, ("int8",))}
