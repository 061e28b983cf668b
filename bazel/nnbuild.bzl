"""nnbuild from Bazel: a model built by nnbuild, which a cc_binary or cc_library depends on.

In WORKSPACE, the nnbuild checkout as repository @nnbuild (any name will do):

    new_local_repository(
        name = "nnbuild",
        path = "/path/to/nnbuild",
        build_file_content = 'load("//bazel:nnbuild.bzl", "nnbuild_sources")\\nnnbuild_sources()',
    )

In a BUILD file:

    load("@nnbuild//bazel:nnbuild.bzl", "nnbuild_model")

    nnbuild_model(
        name = "af_detection",
        model = "@nnbuild//:models/af_detection",   # a models/ folder of the checkout, or an .onnx/.tflite file
        target = "loongarch64",                     # the nnbuild target your toolchain builds for
    )

    cc_binary(name = "app", srcs = ["main.c"], deps = [":af_detection"])  # #include "af_detection.h"

Several models for one target build in one action (one SCons run, each model converted
once, built in parallel), and link as one dependency:

    nnbuild_models(
        name = "models",
        models = ["@nnbuild//:models/af_detection", "kws_ref_model.tflite"],
        target = "loongarch64",
    )

The action runs `scons target=... model=...[,...] export=...` in the checkout itself, outside
Bazel's sandbox (nnbuild keeps its own incremental build in the checkout's build/), with
the Python on PATH or NNBUILD_PYTHON (`--action_env=NNBUILD_PYTHON=/usr/bin/python3`), which
needs nnbuild's requirements.txt. A model's files and nnbuild's sources are the action's
inputs: editing them rebuilds the model, and what links it.
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")

# Where the package's symbols come from besides its archive (as export.LINK_LIBRARIES).
_LINKOPTS = ["-lm"]

def nnbuild_sources():
    """The BUILD file of the nnbuild checkout as a repository: its sources, and each models/ folder."""
    native.exports_files(["SConstruct"])
    native.filegroup(
        name = "sources",
        srcs = native.glob(
            ["SConstruct", "site_scons/**", "kernels/**", "templates/**", "targets/**"],
            exclude = ["**/__pycache__/**", "**/*.pyc"],
        ),
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
    """(model name, file whose folder or self is the model=) as nnbuild names the model."""
    for f in files:
        if f.basename in ("model.onnx", "model.tflite"):
            return f.dirname.split("/")[-1], f
    if len(files) == 1 and files[0].extension in ("onnx", "tflite"):
        return files[0].basename[:-len(files[0].extension) - 1], files[0]
    fail("model: give a models/ folder (with model.onnx or model.tflite) or one .onnx/.tflite file")

def _build_models(ctx, models):
    """The action building `models` (a list of file lists, one per model) for ctx.attr.target:
    [(header, library)] in the package folder(s) under the rule's name."""
    named = [_model_name(files) for files in models]
    several = len(named) > 1
    outputs, arguments = [], []
    for name, model_file in named:
        folder = "%s/%s" % (ctx.label.name, name) if several else ctx.label.name
        outputs.append((ctx.actions.declare_file("%s/include/%s.h" % (folder, name)),
                        ctx.actions.declare_file("%s/lib/lib%s.a" % (folder, name))))
        kind = "folder" if model_file.basename in ("model.onnx", "model.tflite") else "file"
        arguments.append("%s:%s" % (kind, model_file.path))
    package = outputs[0][0].dirname[:-len("/include")]
    if several:
        package = package[:-len("/" + named[0][0])]
    ctx.actions.run_shell(
        inputs = [f for files in models for f in files] + ctx.files._nnbuild,
        outputs = [f for pair in outputs for f in pair],
        command = """set -e
root="$PWD"
sconstruct="$1" target="$2" package="$root/$3"
shift 3
models=""
while [ "$1" != "--" ]; do   # kind:path, a model folder's file or a model file
    model="$(readlink -f "${1#*:}")"
    if [ "${1%%:*}" = folder ]; then model="$(dirname "$model")"; fi
    models="${models:+$models,}$model"
    shift
done
shift
export HOME="${HOME:-$(cd ~ && pwd)}"
cd "$(dirname "$(readlink -f "$sconstruct")")"
exec "${NNBUILD_PYTHON:-python3}" -m SCons -Q "target=$target" "model=$models" "export=$package" "$@"
""",
        arguments = [ctx.file._sconstruct.path, ctx.attr.target, package] + arguments + ["--"] + ctx.attr.options,
        use_default_shell_env = True,
        execution_requirements = {"no-sandbox": "1", "no-remote": "1"},
        mnemonic = "NNBuild",
        progress_message = "nnbuild %s for %s" % (", ".join([n for n, _ in named]), ctx.attr.target),
    )
    return outputs

def _cc_info(ctx, outputs):
    cc_toolchain = find_cpp_toolchain(ctx)
    features = cc_common.configure_features(
        ctx = ctx,
        cc_toolchain = cc_toolchain,
        requested_features = ctx.features,
        unsupported_features = ctx.disabled_features,
    )
    libraries = [cc_common.create_library_to_link(
        actions = ctx.actions,
        feature_configuration = features,
        cc_toolchain = cc_toolchain,
        static_library = library,
    ) for _, library in outputs]
    linker_input = cc_common.create_linker_input(
        owner = ctx.label,
        libraries = depset(libraries),
        user_link_flags = depset(_LINKOPTS),
    )
    headers = [header for header, _ in outputs]
    return [
        DefaultInfo(files = depset([f for pair in outputs for f in pair])),
        CcInfo(
            compilation_context = cc_common.create_compilation_context(
                headers = depset(headers),
                includes = depset([header.dirname for header in headers]),
            ),
            linking_context = cc_common.create_linking_context(linker_inputs = depset([linker_input])),
        ),
    ]

def _nnbuild_models_impl(ctx):
    return _cc_info(ctx, _build_models(ctx, [target.files.to_list() for target in ctx.attr.models]))

nnbuild_models = rule(
    implementation = _nnbuild_models_impl,
    doc = "Models built by one nnbuild run for `target`: their headers and libraries as one CcInfo.",
    attrs = {
        "models": attr.label_list(
            mandatory = True,
            allow_files = True,
            doc = "models/ folders' filegroups (e.g. @nnbuild//:models/af_detection) or .onnx/.tflite files",
        ),
        "target": attr.string(mandatory = True, doc = "the nnbuild target: the board your toolchain builds for"),
        "options": attr.string_list(doc = "more nnbuild options, e.g. [\"verify=0\"]"),
        "_nnbuild": attr.label(default = Label("//:sources")),
        "_sconstruct": attr.label(default = Label("//:SConstruct"), allow_single_file = True),
        "_cc_toolchain": attr.label(default = Label("@bazel_tools//tools/cpp:current_cc_toolchain")),
    },
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
    fragments = ["cpp"],
)

def nnbuild_model(name, model, **kwargs):
    """One model built and exported by nnbuild for `target`: its header and static library
    as CcInfo, the package in the folder `name`."""
    nnbuild_models(name = name, models = [model], **kwargs)
