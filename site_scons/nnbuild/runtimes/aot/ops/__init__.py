"""Lowering of TFLite operators to calls into the aot kernels (kernels/nn_kernels.h).

Each lowering takes the graph, the operator and a `names` helper (C expressions
for tensors), and returns a LoweredOp: the static parameter declarations and
the one call that runs the operator. All quantization constants are computed
at build time. One module per operator family; LOWERINGS maps every supported
TFLite operator name to its Lowering, which also declares the tensor types its
kernels take.
"""

from nnbuild.runtimes.aot.ops import (activations, conv, copy_ops, elementwise, fully_connected, pooling, quantize, reshape,
                             resize, softmax, space_batch, tensor_ops)
from nnbuild.runtimes.aot.ops.common import Lowering, LoweredOp, Unsupported  # noqa: F401  (the package's API)
from nnbuild.runtimes.aot.ops.reshape import ALIAS_OPS  # noqa: F401

LOWERINGS = {}
for _family in (activations, conv, copy_ops, elementwise, fully_connected, pooling, quantize, reshape, resize,
                softmax, space_batch,
                tensor_ops):
    LOWERINGS.update(_family.LOWERINGS)
