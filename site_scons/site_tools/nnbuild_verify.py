"""SCons tool: verify firmware under the target's emulator against TFLite Micro.

  env.Verify('verify.json', [firmware, model.tflite, settings, data files...])
  env.TestVectors('test_vectors.h', [model.tflite, settings, data files...])  (bare metal)
"""

from nnbuild.scons_actions import python_builder


def generate(env):
    env["BUILDERS"]["TestVectors"] = python_builder(env, "nnbuild.verify:vectors_step", "vectors")
    env["BUILDERS"]["Verify"] = python_builder(env, "nnbuild.verify:verify_step", "verify", isolated=True)


def exists(env):
    return True
