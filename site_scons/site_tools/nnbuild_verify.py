"""SCons tool: verify firmware under the target's emulator against TFLite Micro.

  env.Verify('verify.json', [firmware, model.tflite, settings, data files...])
  env.TestVectors('test_vectors.h', [model.tflite, settings, data files...])  (bare metal)
"""

from nnbuild import pipeline
from nnbuild.scons_actions import python_builder


def generate(env):
    env["BUILDERS"]["TestVectors"] = python_builder(
        env, pipeline.vectors_step, "vectors", ["quantize.py", "datasets.py"])
    env["BUILDERS"]["Verify"] = python_builder(
        env, pipeline.verify_step, "verify", ["verify.py", "reference.py", "quantize.py", "datasets.py"])


def exists(env):
    return True
