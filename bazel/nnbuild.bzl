"""nnbuild from Bazel: a model as a cc_library, every step a sandboxed, cacheable Bazel action.

In WORKSPACE, the nnbuild checkout as repository @nnbuild (any name will do):

    new_local_repository(
        name = "nnbuild",
        path = "/path/to/nnbuild",
        build_file_content = 'load("//bazel:nnbuild.bzl", "nnbuild_sources")\\nnnbuild_sources()',
    )

In a BUILD file:

    load("@nnbuild//bazel:nnbuild.bzl", "nnbuild_firmware", "nnbuild_model")

    nnbuild_model(
        name = "af_detection",
        model = "@nnbuild//:models/af_detection",   # a models/ folder of the checkout, or an .onnx/.tflite file
        calibration = "data/ecg_calib.npz",         # ONNX models: the data to quantize with
        evaluation = "data/ecg_eval.npz",           # labelled: quantize=auto judges accuracy on it
    )

    cc_binary(name = "app", srcs = ["main.c"], deps = [":af_detection"])  # #include "af_detection.h"

    # nnbuild's runner linked with the model, its size report, and verify.json: the firmware run
    # on the evaluation data (under the target's emulator) and compared byte for byte with
    # TFLite Micro: bazel build //:af_detection_firmware
    nnbuild_firmware(name = "af_detection_firmware", model = ":af_detection", target = "host")

The steps, each an action with declared inputs and outputs (site_scons/nnbuild/step_command.py runs
the step SCons runs): NNBuildQuantize (ONNX -> int8 or 16x8 .tflite, quant_report.json),
NNBuildAot (.tflite -> C), the C compilation and linking by Bazel's C++ rules with your
toolchain (the reference kernels/*.c), NNBuildRunner, NNBuildSize (size.json, .txt, .html
from the firmware and its link map) and NNBuildVerify. A data file
model.toml names outside the model folder is not an input: give it as calibration/evaluation.
Python comes from PATH (nnbuild's requirements.txt installed): actions keep Bazel's
default shell environment, so set `--action_env=PATH=...` alike on every machine that
shares a cache.
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")

NNBuildModelInfo = provider(fields = ["name", "model_file", "model_files", "tflite", "quant_report", "evaluation",
                                       "info", "objects"])

# Where the model's symbols come from besides its objects (as export.LINK_LIBRARIES).
_LINKOPTS = ["-lm"]
_ALIGNMENT = "-DNN_ALIGNMENT=16"  # of the generated arrays (a target's alignment, at least 16)

# The step tool every nnbuild action runs (site_scons/nnbuild/step_command.py and nnbuild's Python).
_TOOL_ATTRS = {
    "_step": attr.label(default = Label("//:site_scons/nnbuild/step_command.py"), allow_single_file = True),
    "_step_tool": attr.label(default = Label("//:step_tool")),
}

def nnbuild_sources():
    """The BUILD file of the nnbuild checkout as a repository: the step tool, the kernels,
    and each models/ folder."""
    native.exports_files(["site_scons/nnbuild/step_command.py"])
    native.filegroup(
        name = "step_tool",
        srcs = native.glob(
            ["site_scons/**", "targets/**", "templates/**"],
            exclude = ["**/__pycache__/**", "**/*.pyc"],
        ),
        visibility = ["//visibility:public"],
    )
    native.cc_library(
        name = "kernels",
        srcs = native.glob(["kernels/*.c"]),
        hdrs = native.glob(["kernels/*.h"]),
        strip_include_prefix = "kernels",
        visibility = ["//visibility:public"],
    )
    files = native.glob(["models/*"])
    folders = [f for f in native.glob(["models/*"], exclude_directories = 0) if f not in files]
    for folder in folders:
        native.filegroup(
            name = folder,
            srcs = native.glob([folder + "/**"], exclude = ["**/__pycache__/**", "**/*.pyc"]),
            visibility = ["//visibility:public"],
        )

def _model_name(files):
    """(model name, model file) as nnbuild names the model: a folder's model.onnx or
    model.tflite names the folder, a single .onnx/.tflite file itself."""
    for f in files:
        if f.basename in ("model.onnx", "model.tflite"):
            return f.dirname.split("/")[-1], f
    if len(files) == 1 and files[0].extension in ("onnx", "tflite"):
        return files[0].basename[:-len(files[0].extension) - 1], files[0]
    fail("model: give a models/ folder (with model.onnx or model.tflite) or one .onnx/.tflite file")

def _step(ctx, mnemonic, message, arguments, inputs, outputs):
    """An action running one nnbuild step (site_scons/nnbuild/step_command.py) in the sandbox."""
    ctx.actions.run(
        executable = "python3",
        arguments = [ctx.file._step.path] + arguments,
        inputs = inputs + ctx.files._step_tool,
        outputs = outputs,
        use_default_shell_env = True,
        mnemonic = mnemonic,
        progress_message = message,
    )

def _features(ctx, cc_toolchain):
    return cc_common.configure_features(
        ctx = ctx,
        cc_toolchain = cc_toolchain,
        requested_features = ctx.features,
        unsupported_features = ctx.disabled_features,
    )

def _nnbuild_model_impl(ctx):
    name, model_file = _model_name(ctx.files.model)
    data = [f for f in (ctx.file.calibration, ctx.file.evaluation) if f]
    options = ["%s=%s" % (key, f.path) for key, f in (("calibration", ctx.file.calibration), ("eval", ctx.file.evaluation)) if f]
    if ctx.attr.quantize:
        options.append("quantize=" + ctx.attr.quantize)
    quant_report = None
    if model_file.extension == "tflite":
        tflite = model_file
    else:
        tflite = ctx.actions.declare_file("%s/%s.tflite" % (ctx.label.name, name))
        quant_report = ctx.actions.declare_file("%s/quant_report.json" % ctx.label.name)
        _step(ctx, "NNBuildQuantize", "nnbuild: quantizing %s" % model_file.short_path,
              ["quantize", model_file.path, tflite.path, quant_report.path] + options,
              ctx.files.model + data, [tflite, quant_report])
    header, source, weights, info = [ctx.actions.declare_file("%s/aot/%s" % (ctx.label.name, f)) for f in
                                     [name + ".h", name + ".c", name + "_weights.c", "aot_info.json"]]
    _step(ctx, "NNBuildAot", "nnbuild: C code for %s" % name,
          ["aot", tflite.path, name, header.path, source.path, weights.path, info.path] +
          ["%s=%s" % (k, v) for k, v in (("inplace", ctx.attr.inplace), ("patch", ctx.attr.patch))],
          [tflite], [header, source, weights, info])

    cc_toolchain = find_cpp_toolchain(ctx)
    features = _features(ctx, cc_toolchain)
    kernels = ctx.attr._kernels[CcInfo]
    compilation_context, compilation_outputs = cc_common.compile(
        name = ctx.label.name,
        actions = ctx.actions,
        feature_configuration = features,
        cc_toolchain = cc_toolchain,
        srcs = [source, weights],
        public_hdrs = [header],
        includes = [header.dirname],
        user_compile_flags = [_ALIGNMENT],
        compilation_contexts = [kernels.compilation_context],
    )
    linking_context, _ = cc_common.create_linking_context_from_compilation_outputs(
        name = ctx.label.name,
        actions = ctx.actions,
        feature_configuration = features,
        cc_toolchain = cc_toolchain,
        compilation_outputs = compilation_outputs,
        user_link_flags = _LINKOPTS,
    )
    return [
        DefaultInfo(files = depset([header, source, weights, info] + ([quant_report] if quant_report else []))),
        cc_common.merge_cc_infos(cc_infos = [CcInfo(compilation_context = compilation_context,
                                                    linking_context = linking_context), kernels]),
        NNBuildModelInfo(name = name, model_file = model_file, model_files = ctx.files.model, tflite = tflite,
                         quant_report = quant_report, evaluation = ctx.file.evaluation, info = info,
                         objects = compilation_outputs.objects + compilation_outputs.pic_objects),
    ]

nnbuild_model = rule(
    implementation = _nnbuild_model_impl,
    doc = "A model quantized (ONNX) and compiled to C by nnbuild: its header and objects as a cc_library.",
    attrs = dict(
        _TOOL_ATTRS,
        model = attr.label(mandatory = True, allow_files = True,
                            doc = "a models/ folder's filegroup (e.g. @nnbuild//:models/af_detection) or an .onnx/.tflite file"),
        calibration = attr.label(allow_single_file = [".npz", ".npy"], doc = "calibration data (ONNX models)"),
        evaluation = attr.label(allow_single_file = [".npz"], doc = "labelled evaluation data (x, y)"),
        quantize = attr.string(doc = "int8, int16x8, auto or mixed:<op numbers> (default: model.toml's, else auto)"),
        inplace = attr.string(default = "1", values = ["0", "1"]),
        patch = attr.string(default = "1", values = ["0", "1"]),
        _kernels = attr.label(default = Label("//:kernels")),
        _cc_toolchain = attr.label(default = Label("@bazel_tools//tools/cpp:current_cc_toolchain")),
    ),
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
    fragments = ["cpp"],
)

def _linked_files(cc_info):
    """The objects and archives a CcInfo links, in link order: each library's archive, else
    its objects (non-PIC where built)."""
    files = []
    for linker_input in cc_info.linking_context.linker_inputs.to_list():
        for library in linker_input.libraries:
            archive = library.static_library or library.pic_static_library
            files += [archive] if archive else (library.objects or library.pic_objects)
    return files

def _nnbuild_firmware_impl(ctx):
    info = ctx.attr.model[NNBuildModelInfo]
    model = ctx.attr.model[CcInfo]
    runner = ctx.actions.declare_file(ctx.label.name + "/runner.c")
    _step(ctx, "NNBuildRunner", "nnbuild: runner for %s" % info.name,
          ["runner", info.name, ctx.attr.target, runner.path], [], [runner])

    cc_toolchain = find_cpp_toolchain(ctx)
    features = _features(ctx, cc_toolchain)
    _, compiled = cc_common.compile(
        name = ctx.label.name,
        actions = ctx.actions,
        feature_configuration = features,
        cc_toolchain = cc_toolchain,
        srcs = [runner],
        compilation_contexts = [model.compilation_context],
    )

    # Linked here rather than by cc_common.link, which cannot declare the link map the size
    # report reads: the toolchain's own link command line, with the map as a declared output.
    firmware = ctx.actions.declare_file(ctx.label.name + "/firmware")
    map_file = ctx.actions.declare_file(ctx.label.name + "/firmware.map")
    inputs = (compiled.objects or compiled.pic_objects) + _linked_files(model)
    variables = cc_common.create_link_variables(
        feature_configuration = features,
        cc_toolchain = cc_toolchain,
        # -fuse-ld=bfd: Bazel's GCC toolchain links with gold, whose map the size report cannot read
        user_link_flags = ["-o", firmware.path, "-Wl,-Map=" + map_file.path, "-fuse-ld=bfd"] +
                          [f.path for f in inputs] + _LINKOPTS,
    )
    link = "c++-link-executable"
    ctx.actions.run(
        executable = cc_common.get_tool_for_action(feature_configuration = features, action_name = link),
        arguments = cc_common.get_memory_inefficient_command_line(
            feature_configuration = features,
            action_name = link,
            variables = variables,
        ),
        env = cc_common.get_environment_variables(feature_configuration = features, action_name = link,
                                                  variables = variables),
        inputs = depset(inputs, transitive = [cc_toolchain.all_files]),
        outputs = [firmware, map_file],
        mnemonic = "NNBuildLink",
        progress_message = "nnbuild: linking %s for %s" % (info.name, ctx.attr.target),
    )

    # size.json: each input of the link named as nnbuild names the components
    kernels = _linked_files(ctx.attr._kernels[CcInfo])
    components = {f.path: "kernels" for f in kernels}
    components.update({f.path: "runner" for f in compiled.objects + compiled.pic_objects})
    archives = [f.path for f in _linked_files(model) if f.extension == "a" and f not in kernels]
    for f in info.objects:  # linked as themselves, or as members of the model's archive
        component = "model weights" if f.basename.split(".")[0].endswith("_weights") else "model code"
        components.update({path: component for path in [f.path] + ["%s(%s)" % (a, f.basename) for a in archives]})
    size = [ctx.actions.declare_file("%s/size.%s" % (ctx.label.name, ext)) for ext in ("json", "txt", "html")]
    _step(ctx, "NNBuildSize", "nnbuild: size of %s on %s" % (info.name, ctx.attr.target),
          ["size", firmware.path, map_file.path, info.info.path] + [f.path for f in size] +
          [info.name, ctx.attr.target, "components=" + json.encode(components), "model=" + info.model_file.path],
          [firmware, map_file, info.info] + info.model_files, size)

    verify = ctx.actions.declare_file(ctx.label.name + "/verify.json")
    options = ["vectors=%d" % ctx.attr.vectors] if ctx.attr.vectors else []
    if info.evaluation:
        options.append("eval=" + info.evaluation.path)
    inputs = [firmware, info.tflite] + [f for f in (info.quant_report, info.evaluation) if f]
    _step(ctx, "NNBuildVerify", "nnbuild: verifying %s on %s" % (info.name, ctx.attr.target),
          ["verify", firmware.path, info.tflite.path, info.quant_report.path if info.quant_report else "-",
           ctx.attr.target, verify.path] + options, inputs, [verify])
    return [DefaultInfo(executable = firmware, files = depset([firmware, map_file, verify] + size))]

nnbuild_firmware = rule(
    implementation = _nnbuild_firmware_impl,
    doc = "nnbuild's runner for `target` linked with `model` (an nnbuild_model): the firmware, its " +
          "size report (size.json, .txt, .html) and verify.json, the firmware run on the model's " +
          "evaluation data (or random vectors) under the target's emulator, byte for byte against TFLite Micro.",
    executable = True,
    attrs = dict(
        _TOOL_ATTRS,
        model = attr.label(mandatory = True, providers = [NNBuildModelInfo, CcInfo]),
        target = attr.string(default = "host", doc = "the nnbuild target the toolchain builds for"),
        vectors = attr.int(doc = "how many vectors verify compares (default: every evaluation sample, else 50)"),
        _kernels = attr.label(default = Label("//:kernels")),
        _cc_toolchain = attr.label(default = Label("@bazel_tools//tools/cpp:current_cc_toolchain")),
    ),
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
    fragments = ["cpp"],
)
