"""SCons tool: verify firmware under the target's emulator against TFLite Micro.

  env.Verify('verify.json', [firmware, model.tflite, settings, data files...])
"""

from nnbuild import pipeline
from nnbuild.scons_actions import python_action


def generate(env):
    env["BUILDERS"]["Verify"] = env.Builder(action=python_action(pipeline.verify_step, "verify"))


def exists(env):
    return True
