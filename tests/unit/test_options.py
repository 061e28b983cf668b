"""Bad options and missing models get one clear line, not a traceback."""

import pytest

from conftest import REPO, scons


def _error(*args):
    proc = scons(REPO, "-n", *args, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_unknown_target_lists_the_valid_ones():
    line = _error("target=pdp11")
    assert "unknown target 'pdp11'" in line
    assert "loongarch64" in line and "host" in line


def test_unknown_model_lists_the_models():
    line = _error("model=no_such_model")
    assert "unknown model 'no_such_model'" in line
    assert "af_detection" in line


def test_missing_model_file():
    line = _error("model=nowhere/net.onnx")
    assert "nowhere/net.onnx" in line


@pytest.mark.parametrize("arg, words", [
    ("runtime=tensorrt", ["runtime=tensorrt", "aot"]),
    ("verify=maybe", ["verify=maybe", "0 or 1"]),
    ("opt=fast", ["opt=fast", "speed, size"]),
    ("profile=maybe", ["profile=maybe", "0 or 1"]),
    ("profile=1 verify=0", ["profile=1 with verify=0", "verification vectors"]),
    ("profile=1 runtime=tflm", ["profile=1 profiles runtime=aot's generated code", "add runtime=aot"]),
    ("colour=blue", ["unknown option colour", "target", "model", "runtime", "verify", "verbose"]),
    ("quantize=mixed:", ["quantize=mixed:", "mixed:<op numbers>", "int16x8"]),
    ("quantize=mixed:3,x", ["quantize=mixed:3,x", "mixed:3,7"]),
    ("inplace=2", ["inplace=2", "0 or 1"]),
    ("patch=yes-please", ["patch=yes-please", "0 or 1"]),
])
def test_bad_option_value(arg, words):
    line = _error(*arg.split())
    for word in words:
        assert word in line


def test_help_lists_options_with_choices_and_defaults():
    proc = scons(REPO, "-h")
    for text in ("target=host", "loongarch64", "model=af_detection", "runtime=aot (aot|tflm|executorch|tpu)",
                 "verify=1 (0|1)", "verbose=0 (0|1)"):
        assert text in proc.stdout


def test_a_boards_optimization_table_picks_the_flag_of_opt(tmp_path):
    from nnbuild.targets import load_target
    from nnbuild.toolchain import compile_flags

    (tmp_path / "board.toml").write_text('name = "board"\ndescription = "d"\nfamily = "linux"\ntoolchain = "zig"\n'
                                         'optimization = { speed = "-O3" }\n[zig]\ntriple = "aarch64-linux-musl"\n')
    board = load_target("board", str(tmp_path))
    assert compile_flags(board, "speed")[0] == "-O3" and compile_flags(board, "size")[0] == "-Os"
