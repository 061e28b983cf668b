"""RESIZE_NEAREST_NEIGHBOR (int8, int16) and RESIZE_BILINEAR (int8; TFLite Micro has no int16
bilinear kernel) on 4-D NHWC tensors.

The output size comes from a constant tensor. Nearest-neighbour indices depend on TFLite's
float32 arithmetic, so they are evaluated here, with numpy's float32, into one table of input
rows and one of input columns; the bilinear kernel's arithmetic is integer and runs as is.
"""

import math

import numpy as np

from nnbuild.runtimes.aot.ops.common import (Lowering, Unsupported, activation_dtype, c_const_array, call_with_params,
                                             kernel, shape4)
from nnbuild.quant_math import tflite_round

INT32_MAX = 2**31 - 1


def nearest_index(value, in_size, out_size, align_corners, half_pixel_centers):
    """reference_ops::GetNearestNeighbor, in float32 as TFLite computes it."""
    f = np.float32
    if align_corners and out_size > 1:
        scale = f(in_size - 1) / f(out_size - 1)
    else:
        scale = f(in_size) / f(out_size)
    point = (f(value) + f(0.5 if half_pixel_centers else 0.0)) * scale
    index = tflite_round(float(point)) if align_corners else math.floor(point)
    index = min(int(index), in_size - 1)
    return max(0, index) if half_pixel_centers else index


def bilinear_scale(in_size, out_size, align_corners):
    """ResizeBilinearInteger's input / output size ratio in Q10, rounded."""
    if align_corners and out_size > 1:
        in_size, out_size = in_size - 1, out_size - 1
    return ((1 << 10) * in_size + out_size // 2) // out_size


def _check_bilinear_axis(in_size, out_size, scale, half_pixel_centers, axis):
    """The kernel's source rows (or columns) stay inside the input and its Q10 products in int32."""
    for value in range(out_size):
        point = value * scale + scale // 2 - (1 << 9) if half_pixel_centers else value * scale
        if value * scale > INT32_MAX:
            raise Unsupported(f"a {axis} of {out_size} from {in_size} (TFLite's Q10 coordinates overflow)")
        if max(int(point / (1 << 10)), 0) > in_size - 1:  # int(): C's division truncates toward zero
            raise Unsupported(f"a {axis} of {out_size} from {in_size}, for which TFLite Micro reads "
                              "outside the input (its Q10 scale rounds up)")


def _operands(graph, op):
    """Input and output of a resize; Unsupported where TFLite Micro's Prepare fails or its sizes disagree."""
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise Unsupported(f"input of rank {len(x.shape)} (TFLite Micro resizes 4-D NHWC tensors)")
    size = graph.tensors[op.inputs[1]]
    if not size.is_constant:
        raise Unsupported("a non-constant size (TFLite Micro requires a constant one)")
    if size.dtype != "int32" or len(size.shape) != 1 or size.data.size != 2:
        raise Unsupported(f"a size tensor of type {size.dtype} and shape {list(size.shape)} "
                          "(TFLite Micro reads 2 int32 values)")
    out_h, out_w = (int(v) for v in size.data)
    if tuple(y.shape) != (x.shape[0], out_h, out_w, x.shape[3]) or min(y.shape) < 1:
        raise Unsupported(f"output shape {list(y.shape)} for size [{out_h}, {out_w}] of input {list(x.shape)}")
    return x, y


def lower_resize_nearest_neighbor(graph, op, names):
    x, y = _operands(graph, op)
    dtype = activation_dtype(graph, op, [x.index, y.index])
    align, half = op.option("alignCorners", False), op.option("halfPixelCenters", False)
    p = names.op_prefix(op)
    tables = [c_const_array("int32_t", f"{p}_{axis}_index",
                            [nearest_index(v, x.shape[d], y.shape[d], align, half) for v in range(y.shape[d])])
              for axis, d in (("y", 1), ("x", 2))]
    return call_with_params(op, names, kernel("resize_nearest", dtype), "nn_resize_nearest_params", {
        "input": shape4(x.shape), "output": shape4(y.shape), "y_index": f"{p}_y_index", "x_index": f"{p}_x_index",
    }, [x, y], tables)


def lower_resize_bilinear(graph, op, names):
    x, y = _operands(graph, op)
    activation_dtype(graph, op, [x.index, y.index])  # int8 only (its Lowering): TFLite Micro "requires float or int8"
    align, half = op.option("alignCorners", False), op.option("halfPixelCenters", False)
    if align and half:
        raise Unsupported("align_corners and half_pixel_centers together (TFLite Micro rejects them)")
    scales = {}
    for axis, d in (("height", 1), ("width", 2)):
        scales[axis] = bilinear_scale(x.shape[d], y.shape[d], align)
        _check_bilinear_axis(x.shape[d], y.shape[d], scales[axis], half, axis)
    return call_with_params(op, names, kernel("resize_bilinear", "int8"), "nn_resize_bilinear_params", {
        "input": shape4(x.shape), "output": shape4(y.shape),
        "height_scale": scales["height"], "width_scale": scales["width"], "half_pixel_centers": int(half),
    }, [x, y])


LOWERINGS = {"RESIZE_BILINEAR": Lowering(lower_resize_bilinear, ("int8",)),
             "RESIZE_NEAREST_NEIGHBOR": Lowering(lower_resize_nearest_neighbor)}
