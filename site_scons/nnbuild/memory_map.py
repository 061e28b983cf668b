"""A bare-metal board's memory regions, and where a firmware's parts go in them.

A board file lists its regions fastest first, each with what it can hold:

    [memory]
    itcm = { origin = 0x00000000, length = 524288, holds = ["code", "weights"] }
    dtcm = { origin = 0x20000000, length = 524288, holds = ["data"] }
    sram = { origin = 0x01000000, length = 2097152, holds = ["weights", "data"] }
    ddr  = { origin = 0x60000000, length = 16777216, holds = ["test"] }

"code" takes the program (and the weights' first choice, when they fit beside it),
"weights" the model's constant tensors (.rodata.nn_weights), "data" the variables,
stack, heap and the arena (.bss.nn_arena), "test" the verification vectors. The
placement puts code and variables in the first region that holds them, and the
weights and the arena, the large parts, in the fastest region with room; what fits
nowhere stops the build with the region and the shortfall.
"""

from dataclasses import dataclass

from nnbuild.errors import UserError

KINDS = ("code", "weights", "data", "test")
CODE_RESERVE = 64 * 1024   # room kept for the program beside the weights (kernels, runner, C library)
DATA_RESERVE = 8 * 1024    # room kept for variables beside the arena, besides the stack and the heap


@dataclass
class Region:
    name: str
    origin: int
    length: int
    holds: tuple


def regions(memory, path):
    """The Regions of a board file's [memory] table, in its order; UserError for a bad one."""
    found = []
    for name, region in memory.items():
        if not isinstance(region, dict) or set(region) - {"origin", "length", "holds"} \
                or not {"origin", "length", "holds"} <= set(region):
            raise UserError(f"{path}: [memory] {name} must be {{ origin = ADDRESS, length = BYTES, holds = "
                            f"[...] }} with holds from {', '.join(KINDS)}.")
        bad = set(region["holds"]) - set(KINDS)
        if bad:
            raise UserError(f"{path}: [memory] {name} holds {sorted(bad)}; a region holds {', '.join(KINDS)}.")
        found.append(Region(name, int(region["origin"]), int(region["length"]), tuple(region["holds"])))
    for kind in ("code", "data"):
        if found and not any(kind in r.holds for r in found):
            raise UserError(f"{path}: no [memory] region holds {kind}.")
    return found


def _kib(n):
    return f"{n / 1024:.1f} KiB"


def place(board_regions, weights_bytes, arena_bytes, stack, heap, board):
    """{"code", "weights", "data", "arena", "test": Region name}: where each part goes."""
    used = {r.name: 0 for r in board_regions}

    def first(kind, size=0, why=""):
        for r in board_regions:
            if kind in r.holds and used[r.name] + size <= r.length:
                used[r.name] += size
                return r.name
        candidates = ", ".join(f"{r.name} {_kib(r.length - used[r.name])} free" for r in board_regions
                               if kind in r.holds) or "none"
        raise UserError(f"{board}: no memory region that holds {kind} has room for the {why or kind} "
                        f"({_kib(size)}; {candidates}). Over budget: choose a smaller model or quantization, "
                        "or a board with more memory.")

    placement = {"code": first("code", CODE_RESERVE, "program"),
                 "data": first("data", DATA_RESERVE + stack + heap, "variables, stack and heap")}
    placement["weights"] = first("weights", weights_bytes, "model weights")
    placement["arena"] = first("data", arena_bytes, "tensor arena")
    placement["test"] = next((r.name for r in board_regions if "test" in r.holds), placement["data"])
    return placement


def linker_script_step(targets, sources, settings):
    """The family's link.ld.j2 + the model's memory (aot_info.json or a runtime's, and
    the model file) -> link.ld, with the weights and the arena placed (place())."""
    import json
    import os

    from nnbuild.files import write_atomically
    from nnbuild.render import render_template

    with open(sources[1]) as f:
        info = json.load(f)
    weights = info.get("weights_bytes") or os.path.getsize(sources[2])
    arena = info["arena"]["bytes"] + info["arena"].get("method_pool", 0)
    board = [Region(**r) for r in settings["regions"]]
    placement = place(board, weights, arena, settings["stack"], settings["heap"], settings["target"])
    write_atomically(targets[0], render_template("baremetal/link.ld.j2", target=settings["target"], regions=board,
                                                 placement=placement, weights_bytes=weights, arena_bytes=arena,
                                                 stack=settings["stack"], heap=settings["heap"],
                                                 alignment=settings["alignment"]))
