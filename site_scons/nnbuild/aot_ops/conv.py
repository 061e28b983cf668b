"""CONV_2D and DEPTHWISE_CONV_2D: integer_ops::ConvPerChannel / DepthwiseConvPerChannel,
int8 or 16x8 (int16 activations, int8 weights, int64 bias accumulated in int64; CONV_2D
also with an int32 bias, accumulated in int32, as TFLite Micro does)."""

from nnbuild import quant_math
from nnbuild.aot_ops.common import (Lowering, Unsupported, c_const_array, call_with_params, check_int64_requantization,
                                    fused_activation_range, quant, require_zero_point_0, shape4, weighted_kernel,
                                    weighted_operands)


def _lower_conv(graph, op, names, depthwise):
    # TFLite Micro's int16 DEPTHWISE_CONV_2D has no int32-bias variant.
    x, w, b, y, dtype, acc = weighted_operands(graph, op, int32_16x8_variant=not depthwise)
    if dtype == "int16":
        require_zero_point_0([x, y], "TFLite's int16 convolutions ignore zero points")
    if len(x.shape) != 4:
        raise Unsupported(f"input of rank {len(x.shape)} (NHWC expected)")
    stride_h, stride_w = op.option("strideH", 1), op.option("strideW", 1)
    dil_h, dil_w = op.option("dilationHFactor", 1), op.option("dilationWFactor", 1)
    _, fh, fw, _ = w.shape
    oh, pad_h = quant_math.same_or_valid_padding(op.option("padding"), x.shape[1], fh, stride_h, dil_h)
    ow, pad_w = quant_math.same_or_valid_padding(op.option("padding"), x.shape[2], fw, stride_w, dil_w)
    if (oh, ow) != tuple(y.shape[1:3]):
        raise Unsupported(f"output shape {list(y.shape)} that does not follow from its padding and strides")
    in_scale, in_zp = quant(x)
    out_scale, out_zp = quant(y)
    channels = y.shape[3]
    mults, shifts = quant_math.per_channel_multipliers(in_scale, w.scale, out_scale, channels)
    if acc == "int64":
        check_int64_requantization(shifts)
    act_min, act_max = fused_activation_range(op, y)
    p = names.op_prefix(op)
    arrays = [c_const_array("int32_t", f"{p}_multiplier", mults), c_const_array("int32_t", f"{p}_shift", shifts)]
    kernel = weighted_kernel("depthwise_conv2d" if depthwise else "conv2d", dtype, acc)
    return call_with_params(op, names, kernel, "nn_conv_params", {
        "input": shape4(x.shape), "filter": shape4(w.shape), "output": shape4(y.shape),
        "stride_h": stride_h, "stride_w": stride_w, "dilation_h": dil_h, "dilation_w": dil_w,
        "pad_h": pad_h, "pad_w": pad_w, "depth_multiplier": channels // x.shape[3] if depthwise else 1,
        "input_offset": -in_zp, "output_offset": out_zp, "act_min": act_min, "act_max": act_max,
        "multiplier": f"{p}_multiplier", "shift": f"{p}_shift",
    }, [x, w, b, y], arrays)


def lower_conv_2d(graph, op, names):
    return _lower_conv(graph, op, names, depthwise=False)


def lower_depthwise_conv_2d(graph, op, names):
    return _lower_conv(graph, op, names, depthwise=True)


LOWERINGS = {"CONV_2D": Lowering(lower_conv_2d), "DEPTHWISE_CONV_2D": Lowering(lower_depthwise_conv_2d)}
