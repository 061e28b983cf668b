"""Arm Cortex-M bare metal: the project's startup code and linker script, the weights
and the arena placed in the board's memory regions (memory_map.py), verification
vectors compiled in, output through semihosting, run under qemu-system-arm. (Another
bare-metal architecture, such as RISC-V, is another family.)"""

import os
import sys

from nnbuild import memory_map
from nnbuild.code_dependencies import PACKAGE_DIR, template_file
from nnbuild.families.base import Family


class CortexMBareMetal(Family):
    name = "baremetal"
    toolchains = ("gnu",)
    toolchain_reason = ("bare-metal images are built with a GNU toolchain (its newlib C library, objcopy for the "
                        "flash image and the project's startup code)")
    vectors_compiled_in = True

    def check_target(self, target):
        memory_map.regions(target.memory, target.path)  # a clear error now, not at link time

    def gnu_link_flags(self, env, flags):
        # A link that overflows a memory region says so as a budget message (link_overflow.py).
        env["LINKCOM"] = f"{sys.executable} -m nnbuild.link_overflow {env['LINKCOM']}"
        env["ENV"]["PYTHONPATH"] = os.path.dirname(PACKAGE_DIR)
        return [f for f in flags if f not in ("-static", "-Wl,-z,norelro")]  # no OS: no static/dynamic, no RELRO

    def sources(self, tenv, opts, target, model, out, memory_info):
        """Startup code, linker script and compiled-in test vectors of a bare-metal image."""
        from nnbuild.scons_actions import settings_node  # SCons' own modules: only in a build

        context = {"target": target.name, "stack": target.stack, "heap": target.heap, "alignment": target.alignment,
                   "regions": [vars(r) for r in memory_map.regions(target.memory, target.path)]}
        startup = tenv.RenderTemplate(f"{out}/startup.c", [template_file("baremetal/startup.c.j2"),
                                                           settings_node(tenv, {"target": target.name})])
        script = tenv.LinkerScript(f"{out}/link.ld", [template_file("baremetal/link.ld.j2"), memory_info, model.tflite,
                                                      settings_node(tenv, context)])
        vector_settings = settings_node(tenv, {"vectors": opts["vectors"], "data": model.data_file})
        vectors = tenv.TestVectors(f"{out}/test_vectors.h", [model.tflite, vector_settings] +
                                   [s for s in (model.quant_report, model.data_file) if s is not None])
        tenv.Append(LINKFLAGS=["-T", script[0]], CPPPATH=[f"#{out}"])
        startup_o = tenv.Object(f"{out}/obj/startup.o", startup)
        return [startup_o], {str(startup_o[0]): "startup"}, [vectors], [script]

    def image(self, tenv, out, elf, inputs):
        return tenv.BinaryImage(f"{out}/firmware.bin", elf)

    def binary_to_run(self, elf, deployable):
        return elf  # qemu-system loads the ELF


FAMILY = CortexMBareMetal()
