"""AVERAGE_POOL_2D and MAX_POOL_2D: integer_ops::AveragePool / MaxPool, int8 or int16."""

from nnbuild import quant_math
from nnbuild.runtimes.aot.ops.common import (Lowering, Unsupported, activation_dtype, call_with_params,
                                             fused_activation_range, kernel, shape4)


def _lower_pool(graph, op, names, kind):
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    dtype = activation_dtype(graph, op, [x.index, y.index])
    fh, fw = op.option("filterHeight"), op.option("filterWidth")
    stride_h, stride_w = op.option("strideH"), op.option("strideW")
    oh, pad_h = quant_math.same_or_valid_padding(op.option("padding"), x.shape[1], fh, stride_h, 1)
    ow, pad_w = quant_math.same_or_valid_padding(op.option("padding"), x.shape[2], fw, stride_w, 1)
    if (oh, ow) != tuple(y.shape[1:3]):
        raise Unsupported(f"output shape {list(y.shape)} that does not follow from its padding and strides")
    act_min, act_max = fused_activation_range(op, y)
    return call_with_params(op, names, kernel(kind, dtype), "nn_pool_params", {
        "input": shape4(x.shape), "output": shape4(y.shape),
        "filter_h": fh, "filter_w": fw, "stride_h": stride_h, "stride_w": stride_w,
        "pad_h": pad_h, "pad_w": pad_w, "act_min": act_min, "act_max": act_max,
    }, [x, y])


def lower_average_pool_2d(graph, op, names):
    return _lower_pool(graph, op, names, "avg_pool")


def lower_max_pool_2d(graph, op, names):
    return _lower_pool(graph, op, names, "max_pool")


LOWERINGS = {"AVERAGE_POOL_2D": Lowering(lower_average_pool_2d), "MAX_POOL_2D": Lowering(lower_max_pool_2d)}
