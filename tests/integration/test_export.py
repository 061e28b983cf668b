"""export=DIR: a model as a package that existing C projects build against, with the real tools.

One copy of the project exports af_detection for host and loongarch64; the application in
tests/embed_app is then built against it with CMake (host, and loongarch64 with a zig
toolchain file, run under qemu), with make (pkg-config, and the package's .mk) and with
Bazel, and two exported models are linked into one program. Every program prints what the
TFLite Micro interpreter computes, byte for byte.
"""

import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from elftools.elf.elffile import ELFFile

from conftest import SHARED, copy_project, scons, shared_file, tiny_model_file
from nnbuild import options, runtimes
from nnbuild.errors import UserError
from nnbuild.reference import reference_outputs

pytestmark = pytest.mark.slow
MODEL = "af_detection"
VECTORS = 12
KWS_MODEL = os.path.join(SHARED, "models", "kws_ref_model.tflite")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the project with af_detection exported for two targets: pkg/<target>."""
    root = str(tmp_path_factory.mktemp("export"))
    repo = copy_project(root)
    build = scons(repo, "target=host,loongarch64", f"model={MODEL}", f"export={root}/pkg")
    return repo, root, build


@pytest.fixture(scope="module")
def vectors(project):
    """Random input vectors in a file, and the reference interpreter's outputs for them."""
    repo, root, _ = project
    x = np.random.default_rng(7).integers(-128, 128, size=(VECTORS, 1250)).astype(np.int8)
    path = os.path.join(root, "vectors.bin")
    x.tofile(path)
    expected = reference_outputs(os.path.join(repo, "build", "models", MODEL, f"{MODEL}.tflite"), x)
    return path, expected.reshape(VECTORS, -1)


@pytest.fixture(scope="module")
def kws(project):
    """kws_ref_model (MLPerf Tiny keyword spotting, by path) exported into pkg/host beside
    af_detection; its vectors and reference outputs."""
    repo, root, _ = project
    model = shared_file("models", "kws_ref_model.tflite")  # == KWS_MODEL
    scons(repo, "target=host", f"model={model}", f"export={root}/pkg/host")
    x = np.random.default_rng(8).integers(-128, 128, size=(VECTORS, 490)).astype(np.int8)
    path = os.path.join(root, "kws_vectors.bin")
    x.tofile(path)
    return model, path, reference_outputs(model, x).reshape(VECTORS, -1)


def _run(command, cwd=None, env=None):
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, command))} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def _predictions(stdout):
    """embed_app's lines '<raw outputs...> class <k>' as an array; checks each class is the argmax."""
    rows = []
    for line in stdout.splitlines():
        values, _, label = line.partition(" class ")
        row = [int(v) for v in values.split()]
        assert int(label) == int(np.argmax(row))
        rows.append(row)
    return np.array(rows)


def _check_app(command, vectors):
    path, expected = vectors
    got = _predictions(_run([*command, path]).stdout)
    np.testing.assert_array_equal(got, expected)


def _archive(path):
    """{member: bytes} of an ar archive (read here: binutils' ar cannot read every target's)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data.startswith(b"!<arch>\n")
    pos, names, members = 8, b"", {}
    while pos < len(data):
        header = data[pos:pos + 60]
        name, size = header[:16].decode().rstrip(), int(header[48:58])
        body = data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
        if name in ("/", "/SYM64/"):
            continue                                    # the symbol index
        if name == "//":
            names = body                                # GNU long member names
            continue
        if name.startswith("/"):
            start = int(name[1:])
            name = names[start:names.index(b"/\n", start)].decode()
        members[name.rstrip("/")] = body
    return members


def _global_symbols(member):
    symtab = ELFFile(io.BytesIO(member)).get_section_by_name(".symtab")
    return {s.name for s in symtab.iter_symbols()
            if s["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK") and s["st_shndx"] != "SHN_UNDEF"}


# --- the package ------------------------------------------------------------------------------

def test_package_per_target(project):
    repo, root, build = project
    for target, machine in (("host", "EM_X86_64"), ("loongarch64", "EM_LOONGARCH")):
        pkg = os.path.join(root, "pkg", target)
        files = sorted(os.path.relpath(os.path.join(d, f), pkg) for d, _, fs in os.walk(pkg) for f in fs
                       if "kws_ref_model" not in f and "kws_ref_model" not in d)  # exported beside it later
        assert files == ["BUILD.bazel", f"{MODEL}.mk", f"include/{MODEL}.h",
                         f"lib/cmake/{MODEL}/{MODEL}Config.cmake", f"lib/cmake/{MODEL}/{MODEL}ConfigVersion.cmake",
                         f"lib/lib{MODEL}.a", f"lib/pkgconfig/{MODEL}.pc"]
        with open(os.path.join(pkg, "include", f"{MODEL}.h")) as f, \
                open(os.path.join(repo, "build", "models", MODEL, "aot", f"{MODEL}.h")) as g:
            assert f.read() == g.read()  # the C API contract, as generated
        members = _archive(os.path.join(pkg, "lib", f"lib{MODEL}.a"))
        library = _archive(os.path.join(repo, "build", target, "lib", "libnnkernels.a"))
        kernels = set(members) - {f"{MODEL}.o", f"{MODEL}_weights.o"}
        # The kernels the model calls, not the whole library: no depthwise convolution in it.
        assert "conv2d_s8.o" in kernels and kernels < set(library) and "depthwise_conv2d_s8.o" not in kernels
        for name, member in members.items():
            assert ELFFile(io.BytesIO(member))["e_machine"] in (machine, 258)
            assert all(s.startswith((f"{MODEL}_", "nn_")) for s in _global_symbols(member)), name
        for name in files:  # relocatable: no path of this machine in it
            if not name.endswith(".a"):
                with open(os.path.join(pkg, name)) as f:
                    assert root not in f.read(), name
        assert f"{pkg}: lib{MODEL}.a (" in build.stdout


def test_archive_is_deterministic_and_position_independent(project, tmp_path):
    repo, root, _ = project
    again = scons(repo, "target=host", f"model={MODEL}", f"export={tmp_path}")
    assert "[cc" not in again.stdout  # the firmware's objects and their -fPIC twins are built
    with open(tmp_path / "lib" / f"lib{MODEL}.a", "rb") as f, \
            open(os.path.join(root, "pkg", "host", "lib", f"lib{MODEL}.a"), "rb") as g:
        assert f.read() == g.read()
    code = _archive(tmp_path / "lib" / f"lib{MODEL}.a")[f"{MODEL}.o"]
    relocations = ELFFile(io.BytesIO(code)).get_section_by_name(f".rela.text.{MODEL}_invoke")
    kinds = {r["r_info_type"] for r in relocations.iter_relocations()}
    assert kinds and 10 not in kinds and 11 not in kinds  # no R_X86_64_32(S): links into PIE


@pytest.mark.parametrize("runtime", [r.name for r in runtimes.all_runtimes() if not r.exports])
def test_export_takes_the_aot_runtime_only(runtime):
    with pytest.raises(UserError, match="export= packages runtime=aot"):
        options.parse_options({"runtime": runtime, "export": "pkg"})


# --- CMake ------------------------------------------------------------------------------------

def _cmake(source, build, *options):
    _run(["cmake", "-S", source, "-B", build, f"-DNNBUILD_PYTHON={sys.executable}", *options])
    return _run(["cmake", "--build", build])


def test_cmake_runs_nnbuild_host(project, vectors, request):
    repo, root, _ = project
    app, build = os.path.join(repo, "tests", "embed_app"), os.path.join(root, "cmake-host")
    # With ../shared, also two models, each built by nnbuild_add_model, in one program.
    kws = request.getfixturevalue("kws") if os.path.exists(KWS_MODEL) else None
    first = _cmake(app, build, *([f"-DKWS_MODEL={KWS_MODEL}"] if kws else []))
    # Each step a command of CMake's own: the model converted, compiled by CMake, verified.
    assert f"[quantize] {repo}/models/{MODEL}" in first.stdout
    assert f"[aot] {build}/nnbuild/{MODEL}/{MODEL}.tflite" in first.stdout
    assert f"[verify] {MODEL} on host" in first.stdout and "bit-exact on 600 vectors" in first.stdout
    with open(os.path.join(build, "nnbuild", MODEL, "verify.json")) as f:
        assert json.load(f)["bit_exact"]
    _check_app([os.path.join(build, "embed_app")], vectors)
    if kws:
        assert f"[aot] {KWS_MODEL}" in first.stdout
        both = _run([os.path.join(build, "two_models"), vectors[0], kws[1]]).stdout.splitlines()
        _check_two_models(both, vectors[1], kws[2])

    again = _run(["cmake", "--build", build])
    assert "[quantize]" not in again.stdout and "[aot]" not in again.stdout  # nothing changed: no step runs
    with open(os.path.join(repo, "models", MODEL, "model.toml"), "a") as f:
        f.write("# edited\n")                     # an edit of the model's files runs its steps again
    edited = _run(["cmake", "--build", build])
    assert f"[quantize] {repo}/models/{MODEL}" in edited.stdout
    assert "[aot] /" in edited.stdout and f"[aot] {KWS_MODEL}" not in edited.stdout  # the other model's steps do not run
    assert "[verify] kws_ref_model" not in edited.stdout


def test_cmake_runs_nnbuild_loongarch64_with_zig(project, vectors):
    repo, root, _ = project
    app, build = os.path.join(repo, "tests", "embed_app"), os.path.join(root, "cmake-loongarch64")
    _cmake(app, build, "-DNNBUILD_TARGET=loongarch64",
           f"-DCMAKE_TOOLCHAIN_FILE={os.path.join(app, 'loongarch64-zig.cmake')}")
    program = os.path.join(build, "embed_app")
    with open(program, "rb") as f:
        assert ELFFile(f)["e_machine"] in ("EM_LOONGARCH", 258)
    _check_app(["qemu-loongarch64", program], vectors)


def test_cmake_runs_nnbuild_rpi4_with_gnu(project, vectors):
    """A GNU cross toolchain file compiles the model and the kernels; the program is a PIE
    linked against glibc, and the firmware is verified under qemu-aarch64."""
    if shutil.which("aarch64-linux-gnu-gcc") is None:
        pytest.skip("no aarch64-linux-gnu-gcc (Debian package gcc-aarch64-linux-gnu)")
    repo, root, _ = project
    app, build = os.path.join(repo, "tests", "embed_app"), os.path.join(root, "cmake-rpi4")
    _cmake(app, build, "-DNNBUILD_TARGET=rpi4", f"-DCMAKE_TOOLCHAIN_FILE={os.path.join(app, 'aarch64-gnu.cmake')}")
    program = os.path.join(build, "embed_app")
    with open(program, "rb") as f:
        elf = ELFFile(f)
        assert elf["e_machine"] == "EM_AARCH64" and elf["e_type"] == "ET_DYN"  # PIE
    _check_app(["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", program], vectors)


def test_cmake_find_package(project, vectors):
    repo, root, _ = project
    app = os.path.join(repo, "tests", "embed_app")
    build = os.path.join(root, "cmake-package")
    _cmake(app, build, "-DUSE_EXPORTED_PACKAGE=ON", f"-DCMAKE_PREFIX_PATH={root}/pkg/host")
    _check_app([os.path.join(build, "embed_app")], vectors)
    # A package for another processor is not found suitable, and says why.
    wrong = subprocess.run(["cmake", "-S", app, "-B", os.path.join(root, "cmake-wrong"), "-DUSE_EXPORTED_PACKAGE=ON",
                            f"-DCMAKE_PREFIX_PATH={root}/pkg/loongarch64"], capture_output=True, text=True)
    assert wrong.returncode != 0 and "nnbuild target loongarch64, not x86_64" in wrong.stderr


# --- make ------------------------------------------------------------------------------------

def test_make_with_pkg_config_and_mk(project, vectors, tmp_path):
    repo, root, _ = project
    app = os.path.join(repo, "tests", "embed_app")
    moved = str(tmp_path / "vendor" / MODEL)  # the package still works once moved
    shutil.copytree(os.path.join(root, "pkg", "host"), moved)
    env = {**os.environ, "PKG_CONFIG_PATH": os.path.join(moved, "lib", "pkgconfig")}
    _run(["make", "-B", "-C", app, "embed_app", "embed_app_cxx"], env=env)
    _check_app([os.path.join(app, "embed_app")], vectors)
    _check_app([os.path.join(app, "embed_app_cxx")], vectors)
    _run(["make", "-B", "-C", app, "embed_app", f"AF_DETECTION_MK={moved}/{MODEL}.mk"])
    _check_app([os.path.join(app, "embed_app")], vectors)


def _check_two_models(lines, af_expected, kws_expected):
    for model, expected in ((MODEL, af_expected), ("kws_ref_model", kws_expected)):
        rows = [[int(v) for v in line.split()[1:]] for line in lines if line.startswith(f"{model}:")]
        np.testing.assert_array_equal(np.array(rows), expected)


def test_two_exported_models_link_into_one_program(project, vectors, kws):
    repo, root, _ = project
    _, kws_vectors, kws_expected = kws
    pkg = os.path.join(root, "pkg", "host")
    af, other = (_archive(os.path.join(pkg, "lib", f"lib{m}.a")) for m in (MODEL, "kws_ref_model"))
    shared = set(af) & set(other)
    assert "conv2d_s8.o" in shared and all(af[m] == other[m] for m in shared)  # the same kernel objects
    assert "depthwise_conv2d_s8.o" in set(other) - set(af)  # a kernel only kws_ref_model (DS-CNN) calls
    app = os.path.join(repo, "tests", "embed_app")
    libs = [os.path.join(pkg, "lib", f"lib{m}.a") for m in (MODEL, "kws_ref_model")]
    for order in (libs, libs[::-1]):                     # either archive first
        program = os.path.join(root, "two_models")
        _run(["cc", "-O2", f"-I{pkg}/include", "-o", program, os.path.join(app, "two_models.c"), *order, "-lm"])
        lines = _run([program, vectors[0], kws_vectors]).stdout.splitlines()
        _check_two_models(lines, vectors[1], kws_expected)
    env = {**os.environ, "PKG_CONFIG_PATH": os.path.join(pkg, "lib", "pkgconfig")}
    _run(["make", "-B", "-C", app, "two_models"], env=env)
    _check_two_models(_run([os.path.join(app, "two_models"), vectors[0], kws_vectors]).stdout.splitlines(),
                      vectors[1], kws_expected)


# --- Bazel ----------------------------------------------------------------------------------

def test_bazel_runs_nnbuild_steps(project, vectors, tmp_path_factory):
    if shutil.which("bazel") is None:
        pytest.skip("bazel is not installed (Debian package bazel-bootstrap)")
    shared_file("af_detection", "ecg_calib.npz")  # tests/embed_app/WORKSPACE's @shared
    repo, root, _ = project
    app = os.path.join(repo, "tests", "embed_app")
    bazel = ["bazel", f"--output_user_root={tmp_path_factory.mktemp('bazel')}", "--max_idle_secs=120"]
    try:
        # nnbuild's steps as Bazel actions; the model is the one SCons exported, byte for byte
        # (test_bazel_remote_cache.py: each step an action, all of them served by a remote cache)
        built = _run([*bazel, "build", "//:embed_app", "//:af_detection_firmware"], cwd=app)
        _check_app([os.path.join(app, "bazel-bin", "embed_app")], vectors)
        with open(os.path.join(app, "bazel-bin", "af_detection_firmware", "verify.json")) as f:
            verified = json.load(f)
        assert verified["bit_exact"] and verified["vectors"] == 600, (verified, built.stderr[-2000:])
        with open(os.path.join(app, "bazel-bin", "af_detection_firmware", "size.json")) as f:
            size = json.load(f)
        assert {"model weights", "model code", "kernels", "runner"} <= set(size["flash"]["components"])
        assert size["arena"]["bytes"] == size["arena"]["lower_bound"] > 0
        # The exported package vendored into the workspace: DIR/BUILD.bazel declares a
        # cc_library for each model in it (kws_ref_model too, with ../shared).
        shutil.copytree(os.path.join(root, "pkg", "host"), os.path.join(app, "third_party", "nn"))
        _run([*bazel, "build", "//:embed_app_vendored", "//third_party/nn:all"], cwd=app)
        _check_app([os.path.join(app, "bazel-bin", "embed_app_vendored")], vectors)
        # Two models in one program, a .tflite given as a file.
        two = os.path.join(app, "two")
        tiny_model_file(two, "tiny")
        shutil.copy(os.path.join(app, "main.c"), two)
        with open(os.path.join(two, "BUILD.bazel"), "w") as f:
            f.write('load("@nnbuild//bazel:nnbuild.bzl", "nnbuild_model")\n'
                    'nnbuild_model(name = "af", model = "@nnbuild//:models/af_detection", '
                    'calibration = "@shared//:af_detection/ecg_calib.npz")\n'
                    'nnbuild_model(name = "tiny", model = "tiny.tflite")\n'
                    'cc_binary(name = "app", srcs = ["main.c"], deps = [":af", ":tiny"])\n')
        _run([*bazel, "build", "//two:app"], cwd=app)
        assert os.path.isfile(os.path.join(app, "bazel-bin", "two", "tiny", "aot", "tiny.c"))
        _check_app([os.path.join(app, "bazel-bin", "two", "app")], vectors)
    finally:
        subprocess.run([*bazel, "shutdown"], cwd=app, capture_output=True)
