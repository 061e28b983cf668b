"""runtime=executorch quantize=int8: PT2E quantization without a delegate.

torchao's PT2E flow with the XNNPACK quantizer's symmetric per-channel int8
config (BatchNorm folded into the convolutions), calibrated on the model's
calibration data, lowered without a partitioner: the program then runs on
ExecuTorch's portable kernels plus its quantized library. That library has
quantize/dequantize but no int8 convolution or linear kernel, so those still
compute in float between dequantize and quantize; what is int8 is the weights
and the activations between layers (and max pooling, see _int8_max_pool).
`precision_note` says so for each program.
"""

import torch

def _edge_ops():
    from executorch.exir.dialects._ops import ops as exir_ops

    q = exir_ops.edge.quantized_decomposed
    return (q.quantize_per_tensor.default, q.dequantize_per_tensor.default, q.dequantize_per_channel.default,
            exir_ops.edge.aten.max_pool2d_with_indices.default)


def _int8_max_pool(graph):
    """dequantize -> max pool -> quantize with the same scale on both sides becomes a max pool
    on the int8 tensor: exact, since max commutes with a monotonic quantization."""
    quantize, dequantize, _, max_pool = _edge_ops()
    for pool in [n for n in graph.nodes if n.op == "call_function" and n.target == max_pool]:
        source, users = pool.args[0], list(pool.users)
        if source.target != dequantize or len(users) != 1 or users[0].args[1] != 0:
            continue
        values = users[0]  # getitem 0: the pooled values (1 is the indices)
        requantize = list(values.users)
        if len(requantize) != 1 or requantize[0].target != quantize \
                or tuple(requantize[0].args[1:]) != tuple(source.args[1:]):
            continue
        pool.replace_input_with(source, source.args[0])
        requantize[0].replace_all_uses_with(values)
        graph.erase_node(requantize[0])
        if not source.users:
            graph.erase_node(source)
        for node in (pool, values):  # int8 now: the memory planner sizes tensors from these
            args = torch.fx.node.map_arg(node.args, lambda a: a.meta["val"])
            node.meta["val"] = node.target(*args) if node is pool else args[0][args[1]]


def _late_weight_dequantize(graph):
    """Each weight's dequantize right before its first user: otherwise every float copy of
    the weights is alive from the method's start, and the planned memory doubles."""
    _, _, dequantize_per_channel, _ = _edge_ops()
    order = {node: i for i, node in enumerate(graph.nodes)}
    for node in [n for n in graph.nodes if n.op == "call_function" and n.target == dequantize_per_channel]:
        min(node.users, key=order.get).prepend(node)


def export_int8(net, example, calibration):
    """The int8 ExecuTorch program (bytes) of `net`, calibrated on `calibration` [N, *example.shape[1:]]."""
    import executorch.kernels.quantized  # noqa: F401 - registers the quantized out-variants to_executorch needs
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (XNNPACKQuantizer,
                                                                         get_symmetric_quantization_config)
    from executorch.exir import to_edge_transform_and_lower
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    with torch.no_grad():
        module = torch.export.export(net, (example,)).module()
        module = prepare_pt2e(module, XNNPACKQuantizer().set_global(
            get_symmetric_quantization_config(is_per_channel=True)))
        for x in torch.from_numpy(calibration):  # one at a time: the export fixed the batch size
            module(x.unsqueeze(0))
        module = convert_pt2e(module)
        edge = to_edge_transform_and_lower(torch.export.export(module, (example,)))
    graph_module = edge.exported_program().graph_module
    _int8_max_pool(graph_module.graph)
    _late_weight_dequantize(graph_module.graph)
    graph_module.graph.lint()
    graph_module.recompile()
    return edge.to_executorch().buffer


def precision_note(operators, int8_operators):
    """What runs in int8 and what does not: `int8_operators` are those whose first input is int8."""
    conversions = sorted(op for op in operators if op.startswith("quantized_decomposed::"))
    if not conversions:
        return "nothing: a float program; every operator runs ExecuTorch's float portable kernel"
    int8 = sorted(op for op in int8_operators if op not in conversions)
    float_ops = sorted(op for op in operators if op not in int8 and op not in conversions)
    return ("weights and the activations between layers are int8; "
            + (f"{', '.join(int8)} computes on int8; " if int8 else "")
            + f"{', '.join(float_ops)} compute in float between dequantize and quantize (ExecuTorch has "
            "no int8 kernels for them without a delegate)")
