"""Bare-metal memory regions: the weights and the arena go to the fastest memory with room,
what fits nowhere is a budget message, and so is ld's overflow. The images built and run:
tests/integration/test_memory_regions_build.py."""

import sys

import pytest

from nnbuild import memory_map
from nnbuild.errors import UserError
from nnbuild.targets import load_target

KiB = 1024


def _board():
    target = load_target("cortex-m55")
    return memory_map.regions(target.memory, target.path), target


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


def test_what_fits_nowhere_says_so():
    regions, target = _board()
    with pytest.raises(UserError, match=r"no memory region that holds weights has room for the model weights "
                                        r"\(16384\.0 KiB; itcm .* free, sram .* free, isram .* free\)"):
        memory_map.place(regions, 16 << 20, 1024, target.stack, target.heap, "cortex-m55")


def test_a_region_must_say_what_it_holds(tmp_path):
    board = tmp_path / "mcu.toml"
    text = open(load_target("cortex-m55").path).read().replace('name = "cortex-m55"', 'name = "mcu"')
    board.write_text(text.replace('holds = ["test"]', 'holds = ["vectors"]'))
    with pytest.raises(UserError, match=r"\[memory\] ddr holds \['vectors'\]"):
        load_target("mcu", str(tmp_path))


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
