"""runtime=aot: the model as C (codegen.py) calling nnbuild's own kernels (kernels/),
one static library of them per board, shared by every model."""

import os

from nnbuild import build_folder, export, families, instruction_count
from nnbuild.errors import UserError
from nnbuild.runtimes.aot import builders
from nnbuild.runtimes.base import Linked
from nnbuild.runtimes.tflite_route import TfliteRuntime
from nnbuild.scons_actions import settings_node

KERNEL_DIR = "kernels"


def kernel_sources(target, kernel_dir=KERNEL_DIR):
    """{file name: path} of the kernels the board compiles: kernels/*.c (the reference), each
    replaced by kernels/<feature>/<the same name> for the first of the board's instruction-set
    features that has one (as TFLite Micro's optimized kernel folders replace its reference)."""
    chosen = {f: os.path.join(kernel_dir, f) for f in sorted(os.listdir(kernel_dir)) if f.endswith(".c")}
    for feature in reversed(target.features):  # the first feature listed wins
        folder = os.path.join(kernel_dir, feature)
        if os.path.isdir(folder):
            chosen.update({f: os.path.join(folder, f) for f in sorted(os.listdir(folder)) if f in chosen})
    return chosen


def _kernels_library(env, target):
    """The aot kernels as one static library per target, shared by every model."""
    lib_dir = f"{build_folder.root()}/{target.name}/lib"
    objects = [env.Object(f"{lib_dir}/obj/{os.path.splitext(name)[0]}.o", f"#{path}")
               for name, path in kernel_sources(target).items()]
    return env.StaticLibrary(f"{lib_dir}/nnkernels", objects)[0]


class Aot(TfliteRuntime):
    name = "aot"
    exports = True
    options = {"profile": ("1: also count each operator's instructions under the emulator (profile.json, "
                           "a table per firmware) and time them with the Linux firmware's -n N", "0",
                           ("0", "1"), False),
               "inplace": ("0: every tensor in memory of its own; 1: element-wise ops, activations and depthwise "
                           "convolutions write over their input, PADs fold into their convolution (a smaller arena)",
                           "1", ("0", "1"), False),
               "patch": ("1: run chains of convolutions row by row where that shrinks the arena (their large "
                         "feature maps never whole); 0: every op on whole tensors", "1", ("0", "1"), False)}

    def complete_options(self, opts):
        from nnbuild.options import boolean_option  # options imports the runtimes

        opts["profile"] = boolean_option("profile", str(opts["profile"]))
        opts["inplace"] = boolean_option("inplace", str(opts["inplace"]))
        opts["patch"] = boolean_option("patch", str(opts["patch"]))
        if opts["profile"] and not opts["verify"]:
            raise UserError("option profile=1 with verify=0: the profile runs the verified firmware on its "
                            "verification vectors; leave verify=0 out.")
        if opts["profile"] and self not in opts["runtimes"]:
            raise UserError("option profile=1 profiles runtime=aot's generated code; add runtime=aot, or "
                            "leave profile=1 out.")

    def prepare(self, env, opts, spec):
        model = super().prepare(env, opts, spec)
        builders.add_builders(env)
        aot_dir = f"{build_folder.root()}/models/{spec.name}/aot"
        header, source, weights, aot_info = env.AotModel(
            f"{aot_dir}/{spec.name}.h", [model.tflite, settings_node(env, {
                "model": spec.name, "inplace": opts["inplace"], "patch": opts["patch"]})])
        model.parts.update(sources=[source, weights], dir=aot_dir, info=aot_info)
        return model

    def target_libraries(self, tenv, opts, target):
        tenv.Append(CPPPATH=[f"#{KERNEL_DIR}"])
        return _kernels_library(tenv, target)

    def link(self, tenv, opts, target, model, kernels, out):
        tenv.Append(CPPPATH=[f"#{model.parts['dir']}"])
        if opts["profile"]:  # the invoke's marks and the runner's nn_profile_node (nn_kernels.h)
            tenv.Append(CPPDEFINES=["NN_PROFILE"])
        objects = [tenv.Object(f"{out}/obj/{os.path.splitext(os.path.basename(str(s)))[0]}.o", s)
                   for s in model.parts["sources"]]
        components = {str(objects[0][0]): "model code", str(objects[1][0]): "model weights",
                      str(kernels): "kernels"}
        return Linked(objects, [kernels], components, model.parts["info"])

    def verify(self, tenv, opts, target, model, binary, out, baremetal):
        verified = super().verify(tenv, opts, target, model, binary, out, baremetal)
        if not opts["profile"]:
            return verified
        family = families.get(target.family)
        settings = {"model": model.name, "target": target.name, "build_dir": build_folder.root(),
                    "emulator": target.emulator, "emulator_package": target.emulator_package,
                    "args": family.run_arguments(f"{out}/vectors.bin", 0)}
        profile = tenv.Profile(f"{out}/profile.json", [f"{out}/firmware.elf", model.parts["info"], verified,
                                                       settings_node(tenv, settings)])
        tenv.Depends(profile, instruction_count.PLUGIN_SOURCE)
        return [verified, profile]

    def export(self, tenv, opts, target, model, linked, out_dir, after):
        header = tenv.File(f"{model.parts['dir']}/{model.name}.h")
        return export.export_package(tenv, opts, target, model.name, model.config, header, linked.objects,
                                     linked.libraries[0], out_dir, after=after)


RUNTIME = Aot()
