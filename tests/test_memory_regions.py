"""Bare-metal memory regions: the weights and the arena go to the fastest memory with room,
the image still runs bit-exact, and what fits nowhere is a budget message, not ld's."""

import json
import os
import sys

import numpy as np
import pytest

from conftest import copy_project, error_line, scons
from nnbuild import memory_map
from nnbuild.errors import UserError
from nnbuild.targets import load_target
from tflite_builder import T, build_model, options

KiB = 1024


def _board():
    target = load_target("cortex-m55")
    return memory_map.regions(target.memory, target.path), target


@pytest.mark.unit
@pytest.mark.parametrize("weights, arena, where", [
    (20 * KiB, 8 * KiB, ("itcm", "dtcm")),
    (1700 * KiB, 300 * KiB, ("sram", "dtcm")),
    (3 * 1024 * KiB, 900 * KiB, ("isram", "sram")),
])
def test_large_parts_go_to_the_fastest_memory_with_room(weights, arena, where):
    regions, target = _board()
    placement = memory_map.place(regions, weights, arena, target.stack, target.heap, "cortex-m55")
    assert (placement["weights"], placement["arena"]) == where
    assert (placement["code"], placement["data"], placement["test"]) == ("itcm", "dtcm", "ddr")


@pytest.mark.unit
def test_what_fits_nowhere_says_so():
    regions, target = _board()
    with pytest.raises(UserError, match=r"no memory region that holds weights has room for the model weights "
                                        r"\(16384\.0 KiB; itcm .* free, sram .* free, isram .* free\)"):
        memory_map.place(regions, 16 << 20, 1024, target.stack, target.heap, "cortex-m55")


@pytest.mark.unit
def test_a_region_must_say_what_it_holds(tmp_path):
    board = tmp_path / "mcu.toml"
    text = open(load_target("cortex-m55").path).read().replace('name = "cortex-m55"', 'name = "mcu"')
    board.write_text(text.replace('holds = ["test"]', 'holds = ["vectors"]'))
    with pytest.raises(UserError, match=r"\[memory\] ddr holds \['vectors'\]"):
        load_target("mcu", str(tmp_path))


def _wide_model(inputs=1024, outputs=640):
    """One FULLY_CONNECTED layer of inputs x outputs int8 weights (640 KiB: more than the ITCM)."""
    rng = np.random.default_rng(0)
    weights = rng.integers(-127, 128, (outputs, inputs)).astype(np.int8)
    bias = rng.integers(-1000, 1000, outputs).astype(np.int32)
    tensors = [T((1, inputs), scale=0.05, zero_point=3), T((outputs, inputs), scale=0.01, data=weights),
               T((outputs,), dtype="int32", scale=0.0005, data=bias), T((1, outputs), scale=0.5, zero_point=-2)]
    fc = options("FullyConnectedOptions", fusedActivationFunction=0)
    return build_model([("FULLY_CONNECTED", "FullyConnectedOptions", fc, [0, 1, 2], [3])], tensors, [0], [3])


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    repo = copy_project(str(tmp_path_factory.mktemp("regions")))
    path = os.path.join(repo, "wide.tflite")
    with open(path, "wb") as f:
        f.write(_wide_model())
    return repo, path


@pytest.mark.slow
def test_weights_larger_than_the_itcm_run_from_sram(wide):
    repo, model = wide
    proc = scons(repo, "target=cortex-m55", f"model={model}", "vectors=5")
    out = os.path.join(repo, "build/cortex-m55/aot/wide")
    with open(os.path.join(out, "size.json")) as f:
        size = json.load(f)
    assert size["regions"]["sram"]["used"] >= 640 * KiB > size["regions"]["itcm"]["used"]
    with open(os.path.join(out, "verify.json")) as f:
        assert json.load(f)["bit_exact"]
    assert "memory: itcm " in proc.stdout and ", sram 6" in proc.stdout


@pytest.mark.slow
def test_a_board_too_small_for_the_program_says_so(wide):
    repo, model = wide
    board = open(os.path.join(repo, "targets", "cortex-m55.toml")).read()
    with open(os.path.join(repo, "targets", "small-m55.toml"), "w") as f:  # a 16 KiB ITCM: no room for the program
        f.write(board.replace('name = "cortex-m55"', 'name = "small-m55"').replace(
            'itcm = { origin = 0x00000000, length = 524288', 'itcm = { origin = 0x00000000, length = 16384'))
    line = error_line(scons(repo, "target=small-m55", f"model={model}", check=False))
    assert "small-m55: no memory region that holds code has room for the program" in line
    assert "itcm 16.0 KiB free" in line and "Over budget" in line


@pytest.mark.unit
def test_a_linker_overflow_is_a_budget_message(tmp_path, capsys):
    """What ld says when a region still overflows, said as a budget message with the largest inputs."""
    from nnbuild import link_overflow

    ld = [sys.executable, "-c", "import sys; sys.stderr.write('ld: firmware.elf section .text will not fit in "
          "region itcm\\nld: region `itcm\\' overflowed by 3072 bytes\\n'); sys.exit(1)", "-o", "firmware.elf"]
    assert link_overflow.main(ld) == 1
    err = capsys.readouterr().err
    assert "nnbuild: error: firmware.elf does not fit the board's memory: over region itcm by 3.0 KiB" in err
    assert "will not fit" not in err
    other = ["sh", "-c", "echo 'undefined reference to foo' >&2; exit 1"]
    assert link_overflow.main(other) == 1 and "undefined reference to foo" in capsys.readouterr().err
