"""The Linux firmware's own command line: usage, -n limits, stdin as '-', empty input."""

import os
import subprocess

import pytest

from conftest import copy_project, scons, tiny_model_file

INPUT_BYTES = 8  # the tiny model takes 8 int8 values


@pytest.fixture(scope="module")
def firmware(tmp_path_factory):
    repo = copy_project(str(tmp_path_factory.mktemp("cli")))
    scons(repo, "target=host", "verify=0", f"model={tiny_model_file(repo, 'tiny')}")
    return os.path.join(repo, "build/host/aot/tiny/firmware")


def _run(firmware, *args, data=b""):
    return subprocess.run([firmware, *args], input=data, capture_output=True)


def test_help_prints_usage_and_succeeds(firmware):
    for flag in ("-h", "--help"):
        proc = _run(firmware, flag)
        assert proc.returncode == 0 and proc.stdout.startswith(b"usage: firmware [-n N] [FILE|-]")


@pytest.mark.parametrize("value", ["99999999999999999999", "1000000001", "0", "-3", "12x", ""])
def test_repeat_count_that_does_not_fit_is_refused(firmware, value):
    proc = _run(firmware, "-n", value, data=bytes(INPUT_BYTES))
    assert proc.returncode == 2
    assert b"-n takes a whole number from 1 to 1000000000" in proc.stderr


def test_repeat_count_times_the_first_vector(firmware):
    proc = _run(firmware, "-n", "1000", data=bytes(INPUT_BYTES))
    lines = proc.stdout.decode().splitlines()
    assert proc.returncode == 0 and len(lines) == 2 and lines[1].startswith("latency_us: ")


def test_dash_reads_standard_input(firmware, tmp_path):
    vectors = bytes(range(2 * INPUT_BYTES))
    from_stdin = _run(firmware, "-", data=vectors)
    path = tmp_path / "vectors.bin"
    path.write_bytes(vectors)
    from_file = _run(firmware, str(path))
    assert from_stdin.returncode == 0 and from_stdin.stdout == from_file.stdout
    assert len(from_stdin.stdout.splitlines()) == 2


def test_empty_input_says_so(firmware):
    proc = _run(firmware)
    assert proc.returncode == 2 and b"the input is empty" in proc.stderr and b"8 bytes" in proc.stderr


def test_unknown_option_and_two_files_are_refused(firmware):
    assert b"unknown option -x" in _run(firmware, "-x").stderr
    assert b"give one input file" in _run(firmware, "a", "b").stderr
