"""onnx2tf, stopped once it has written the TensorFlow SavedModel nnbuild quantizes.

onnx2tf's command line goes on to convert its result to float32 and float16 .tflite
files, which nnbuild never reads: on a 224x224 model that is most of its time. This
runs onnx2tf's own command line (its arguments, checks, defaults and every step up to
the SavedModel, so the very same SavedModel) and stops it where its first .tflite
conversion starts.

    python -m nnbuild.onnx2tf_saved_model -i model.onnx -o saved_model [-b 1]
"""

import sys


class _SavedModelWritten(BaseException):
    """Raised where onnx2tf starts its .tflite exports; a BaseException, so that onnx2tf's
    own `except Exception` blocks let it through."""


def main(argv):
    import tensorflow as tf
    from onnx2tf import onnx2tf

    def stop(*args, **kwargs):
        raise _SavedModelWritten()

    tf.lite.TFLiteConverter.from_keras_model = stop
    tf.lite.TFLiteConverter.from_concrete_functions = stop
    sys.argv = ["onnx2tf", *argv]
    try:
        onnx2tf.main()
    except _SavedModelWritten:
        pass


if __name__ == "__main__":
    main(sys.argv[1:])
