"""Every mistake a user makes gets one clear paragraph naming the file or option, what
was expected and what to do, before any slow step runs; never a traceback."""

import json
import os
import shutil

import numpy as np
import pytest

from conftest import REPO, copy_project, error_line, scons, shared_file, tiny_model_file
from nnbuild import datasets, models
from nnbuild.commands import run_command
from nnbuild.errors import UserError
from nnbuild.model_toml import load_model_toml
from nnbuild.targets import load_target


def _declare(*args, cwd=REPO):
    """`scons -n`: options read and the build declared, nothing built."""
    return scons(cwd, "-n", *args, check=False)


@pytest.fixture()
def model_folder(tmp_path):
    """A model folder with a tiny model.tflite and a model.toml to write."""
    folder = tmp_path / "net"
    tiny_model_file(str(folder))
    os.rename(folder / "tiny.tflite", folder / "model.tflite")
    return folder


# --- model.toml -----------------------------------------------------------------------

@pytest.mark.parametrize("text, words", [
    ("[quantisation]\nmode = 'int16x8'\n", ["unknown section [quantisation]", "[quantization]", "[calibration]"]),
    ("[calibration]\nsampels = 100\n", ["unknown key 'sampels' in [calibration]", "file, generator, samples"]),
    ("descripton = 'x'\n", ["unknown key 'descripton' at the top level", "description"]),
    ("[quantization]\nmode = 'int4'\n", ["mode = 'int4'", "int8, int16x8, bf16, auto", "mixed:<op numbers>"]),
    ("[calibration]\nsamples = -5\n", ["samples = -5", "positive whole number"]),
    ("[quantization\n", ["not valid TOML"]),
])
def test_model_toml_is_validated(model_folder, text, words):
    (model_folder / "model.toml").write_text(text)
    line = error_line(_declare("target=host", f"model={model_folder}"))
    assert f"{model_folder}/model.toml" in line
    for word in words:
        assert word in line


def test_the_project_model_toml_is_valid():
    config = load_model_toml(os.path.join(REPO, "models", "af_detection", "model.toml"))
    assert config["quantization"]["mode"] == "auto"


# --- names ----------------------------------------------------------------------------

@pytest.mark.parametrize("file, name", [("ecm_AFNet_95-94.tflite", "ecm_AFNet_95_94"),
                                        ("2024 model.tflite", "m_2024_model"),
                                        ("net.v2.tflite", "net_v2")])
def test_a_file_name_becomes_a_c_name_and_is_said(tmp_path, file, name):
    path = tiny_model_file(str(tmp_path), os.path.splitext(file)[0])
    proc = scons(REPO, "-n", "target=host", f"model={path}")
    assert f"C name {name} (from '{os.path.splitext(file)[0]}'; name= chooses another)" in proc.stdout
    assert f"build/host/aot/{name}/firmware" in proc.stdout


def test_name_option_chooses_the_c_name(tmp_path):
    path = tiny_model_file(str(tmp_path), "2024 model")
    proc = scons(REPO, "-n", "target=host", f"model={path}", "name=ecg_net")
    assert "build/host/aot/ecg_net/firmware" in proc.stdout and "C name" not in proc.stdout
    line = error_line(_declare("target=host", f"model={path}", "name=2024-net"))
    assert "name=2024-net" in line and "C identifier" in line


@pytest.mark.parametrize("name", ["runner", "nn_kernels", "time", "string", "startup", "test_vectors", "conv2d_s8"])
def test_names_that_collide_are_refused_with_a_way_out(tmp_path, name):
    path = tiny_model_file(str(tmp_path), name)
    line = error_line(_declare("target=host", f"model={path}"))
    assert f"model name '{name}'" in line and f"name={name}_model" in line


def test_c_name():
    assert models.c_name("ecm_AFNet_95-94") == "ecm_AFNet_95_94"
    assert models.c_name("2024 model") == "m_2024_model"
    assert models.c_name("af_detection") == "af_detection"


# --- options --------------------------------------------------------------------------

def test_size_diff_must_be_a_size_report(tmp_path):
    text = tmp_path / "notes.json"
    text.write_text("hello")
    line = error_line(_declare("target=host", f"size_diff={text}"))
    assert f"size_diff={text}: not JSON" in line and "size.json of an earlier build" in line
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}')
    line = error_line(_declare("target=host", f"size_diff={other}"))
    assert "not an nnbuild size report" in line
    line = error_line(_declare("target=host", f"size_diff={tmp_path}/missing.json"))
    assert "cannot read it" in line


def test_cache_must_be_a_folder(tmp_path):
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("")
    line = error_line(_declare("target=host", f"cache={not_a_folder}"))
    assert f"cache={not_a_folder}: that is a file" in line


def test_export_is_for_the_aot_runtime(tmp_path):
    line = error_line(_declare("target=host", "runtime=executorch", f"export={tmp_path}/pkg"))
    assert "export=" in line and "runtime=executorch" in line and "runtime=aot" in line


def test_bare_metal_needs_the_gnu_toolchain(tmp_path):
    line = error_line(_declare("target=cortex-m55", "toolchain=zig"))
    assert "toolchain=zig for target cortex-m55" in line and "toolchain=gnu" in line
    board = tmp_path / "mcu.toml"
    board.write_text('name = "mcu"\ndescription = "d"\nfamily = "baremetal"\ntoolchain = "zig"\n'
                     '[zig]\ntriple = "thumb-freestanding-eabihf"\n')
    with pytest.raises(UserError, match="bare-metal images are built with a GNU toolchain"):
        load_target("mcu", str(tmp_path))


def test_a_target_named_twice_is_built_once():
    proc = scons(REPO, "target=host,host", "verify=0", "-n")
    assert proc.stdout.count("build/host/aot/af_detection/firmware.elf") >= 1
    assert "Multiple ways" not in proc.stderr


def test_relative_paths_are_from_where_scons_was_started(tmp_path):
    tiny_model_file(str(tmp_path), "tiny")
    start = tmp_path / "elsewhere"
    start.mkdir()
    proc = scons(str(start), "-C", REPO, "-n", "target=host", "model=../tiny.tflite")
    assert "build/host/aot/tiny/firmware" in proc.stdout


# --- data files -----------------------------------------------------------------------

def _npz(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


@pytest.mark.parametrize("arrays, words", [
    (dict(x=np.zeros((10, 8), np.float32), y=np.zeros(7, np.int64)), ["10 samples in 'x'", "shape [7]"]),
    (dict(x=np.zeros((0, 8), np.float32), y=np.zeros(0, np.int64)), ["empty"]),
    (dict(x=np.array([["a"] * 8]), y=np.zeros(1, np.int64)), ["not numbers"]),
    (dict(x=np.full((2, 8), np.nan, np.float32)), ["NaN or infinite", "sample 0"]),
    (dict(x=np.zeros((3, 8), np.float32), y=np.array([0, 1, 9])), ["range from 0 to 9", "8 outputs"]),
    (dict(x=np.zeros((3, 8), np.float32), y=np.array([0.5, 1, 2])), ["whole class indices"]),
    (dict(x=np.zeros((3, 5), np.float32)), ["has 5 values", "takes 8"]),
    (dict(samples=np.zeros((3, 8), np.float32)), ["no array 'x'", "samples"]),
])
def test_bad_data_files_name_what_is_wrong(tmp_path, arrays, words):
    path = _npz(tmp_path / "data.npz", **arrays)
    with pytest.raises(UserError) as e:
        datasets.load_samples(path, "evaluation", sample_size=8, outputs=8)
    assert path in str(e.value)
    for word in words:
        assert word in str(e.value)


def test_a_bad_eval_file_stops_the_build_before_conversion(tmp_path):
    """Found at the start of the quantize step, not after onnx2tf (which would take 30 s)."""
    data = np.load(shared_file("af_detection", "ecg_eval.npz"))
    bad = _npz(tmp_path / "eval.npz", x=data["x"], y=data["y"][:500])
    repo = copy_project(str(tmp_path))
    line = error_line(scons(repo, "target=host", f"eval={bad}", check=False))
    assert bad in line and "600 samples in 'x'" in line
    assert not os.path.exists(os.path.join(repo, "build/models/af_detection/quantize/onnx2tf.log"))
    assert not os.path.exists(os.path.join(repo, "build/models/af_detection/af_detection.tflite"))


def test_a_failing_tool_is_a_clear_error_not_a_traceback(tmp_path):
    with pytest.raises(UserError, match=r"archiving the kernels failed \(exit status 1\): .*No such file"):
        run_command(["ar", "rcsD", str(tmp_path / "lib.a"), str(tmp_path / "missing.o")], "archiving the kernels")
    with pytest.raises(UserError, match="cannot run no-such-compiler"):
        run_command(["no-such-compiler"], "compiling", advice="Install it.")


def test_executorch_kernel_build_failure_is_a_clear_error(tmp_path):
    from nnbuild.runtimes.executorch import tree as executorch_tree

    kernels = tmp_path / "kernels.json"
    kernels.write_text(json.dumps({"sources": [str(tmp_path / "op.cpp")], "kernels": 1}))
    (tmp_path / "op.cpp").write_text("this is not C++\n")
    settings = {"tree": str(tmp_path), "registration": str(tmp_path / "op.cpp"),
                "compile": [shutil.which("g++") or "g++"], "ar": ["ar"]}
    with pytest.raises(UserError, match="compiling ExecuTorch's op.cpp for the program failed"):
        executorch_tree.kernel_library_step([str(tmp_path / "out" / "libkernels.a")], [str(kernels)], settings)


@pytest.mark.parametrize("line, expected", [('emulator_timeout = "long"', "expected a whole number of seconds"),
                                            ('optimization = "-O2"', "expected a table of compiler optimisation flags"),
                                            ('features = "neon"', "expected a list of instruction-set features"),
                                            ("alignment = 24", "expected a power of two number of bytes, at least 16"),
                                            ("alignment = 8", "expected a power of two number of bytes, at least 16")])
def test_a_board_key_of_the_wrong_type_is_named(tmp_path, line, expected):
    board = tmp_path / "board.toml"
    board.write_text(f'name = "board"\ndescription = "d"\nfamily = "linux"\ntoolchain = "zig"\n{line}\n'
                     '[zig]\ntriple = "aarch64-linux-musl"\n')
    with pytest.raises(UserError, match=f"board.toml: {line.split(' =')[0]} = .*: {expected}"):
        load_target("board", str(tmp_path))
