"""onnx2tf, writing only the TensorFlow SavedModel nnbuild quantizes.

onnx2tf's command line also converts its result to float32 and float16 .tflite
files, which nnbuild never reads: on a 224x224 model that is two of its three
minutes. This runs onnx2tf's own command line (its arguments, checks and
defaults) with its conversion told not to save, and saves the SavedModel
exactly as onnx2tf does.

    python -m nnbuild.onnx2tf_saved_model -i model.onnx -o saved_model [-b 1]
"""

import sys


def main(argv):
    import tensorflow as tf
    from onnx2tf import onnx2tf

    convert = onnx2tf.convert

    def convert_to_saved_model(**arguments):
        model = convert(**{**arguments, "disable_model_save": True})
        tf.saved_model.save(model, arguments["output_folder_path"])  # as onnx2tf.convert does
        return model

    onnx2tf.convert = convert_to_saved_model
    sys.argv = ["onnx2tf", *argv]
    onnx2tf.main()


if __name__ == "__main__":
    main(sys.argv[1:])
