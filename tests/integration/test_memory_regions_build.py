"""Bare-metal memory regions in a build: weights larger than the ITCM run bit-exact from SRAM,
a board's alignment places weights, arena and vectors, and a board too small for the
program is a budget message, not ld's."""

import json
import os

import numpy as np
import pytest
from elftools.elf.elffile import ELFFile

from conftest import copy_project, error_line, scons
from tflite_builder import T, build_model, options

KiB = 1024


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
    _board(repo, "small-m55", {'itcm = { origin = 0x00000000, length = 524288':  # a 16 KiB ITCM: no room
                               'itcm = { origin = 0x00000000, length = 16384'})
    line = error_line(scons(repo, "target=small-m55", f"model={model}", check=False))
    assert "small-m55: no memory region that holds code has room for the program" in line
    assert "itcm 16.0 KiB free" in line and "Over budget" in line


def _board(repo, name, replacements):
    """targets/<name>.toml: cortex-m55's board file with `replacements` (old -> new) made."""
    board = open(os.path.join(repo, "targets", "cortex-m55.toml")).read().replace(
        'name = "cortex-m55"', f'name = "{name}"')
    for old, new in replacements.items():
        assert old in board
        board = board.replace(old, new)
    with open(os.path.join(repo, "targets", f"{name}.toml"), "w") as f:
        f.write(board)


@pytest.mark.slow
def test_a_boards_alignment_places_weights_arena_and_vectors(wide):
    repo, model = wide
    _board(repo, "wide-m55", {"stack = 16384": "alignment = 64\nstack = 16384"})
    scons(repo, "target=wide-m55", f"model={model}", "vectors=5")
    out = os.path.join(repo, "build/wide-m55/aot/wide")
    with open(os.path.join(out, "verify.json")) as f:
        assert json.load(f)["bit_exact"]
    with open(os.path.join(out, "firmware.elf"), "rb") as f:
        elf = ELFFile(f)
        sections = {s.name: s for s in elf.iter_sections()}
        placed = [(sym.name, sym["st_value"]) for sym in sections[".symtab"].iter_symbols()
                  if sym["st_info"]["type"] == "STT_OBJECT" and sym["st_size"] >= 64
                  and sym.name.startswith(("wide_", "test_vectors"))]
        assert sections[".nn_weights"]["sh_addralign"] >= 64  # in SRAM: the linker script's own section
    assert any(name == "wide_arena" for name, _ in placed) and any(name == "test_vectors" for name, _ in placed)
    assert [name for name, address in placed if address % 64] == []
