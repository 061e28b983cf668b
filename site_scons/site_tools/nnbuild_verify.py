"""SCons tool: verify firmware under the target's emulator against TFLite Micro.

  env.Verify('verify.json', [firmware, model.tflite, settings, data files...])
"""

from nnbuild import pipeline
from nnbuild.scons_actions import python_builder


def generate(env):
    env["BUILDERS"]["Verify"] = python_builder(
        env, pipeline.verify_step, "verify", ["verify.py", "reference.py", "quantize.py", "datasets.py"])


def exists(env):
    return True
