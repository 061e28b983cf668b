"""profile=1 (runtime=aot): where an inference's time goes, per operator.

The firmware is built with NN_PROFILE: its invoke calls nn_profile_node(k) before
operator k and after the last (nn_kernels.h). The profile step runs it on its
verification vectors under the board's qemu (qemu user mode of this machine for a
native board) with the project's plugin, which splits the instructions inside
`<model>_invoke` at those calls; the marks' own instructions count for no operator.
It writes profile.json and prints one line per operator: instructions per inference,
share of the total, multiply-accumulates and instructions per MAC.
"""

import json
import os

from nnbuild.errors import UserError
from nnbuild.files import write_atomically
from nnbuild.instruction_count import build_plugin, count_under_qemu, emulator_for_counting

MARK = "nn_profile_node"


def operator_profile(nodes, buckets, calls):
    """The per-operator rows of profile.json from the plugin's buckets (bucket k + 1 is
    operator k; bucket 0 and the one after the last operator copy the input and output)."""
    per = {k: n / calls for k, n in buckets.items()}
    total = sum(per.values())
    rows = []
    for node in nodes:
        instructions = per.get(node["node"] + 1, 0.0)
        rows.append({**node, "instructions": round(instructions),
                     "share": instructions / total if total else 0.0,
                     "instructions_per_mac": instructions / node["macs"] if node["macs"] else None})
    io = per.get(0, 0.0) + per.get(len(nodes) + 1, 0.0)
    return {"instructions": round(total), "input_output_copy": round(io), "operators": rows}


def format_profile(profile):
    """The printed table: one line per operator, the busiest marked by its share."""
    lines = [f"  {'#':>3} {'operator':<18} {'MACs':>11} {'instructions':>13} {'share':>6} {'/MAC':>6}  output"]
    for row in profile["operators"]:
        per_mac = f"{row['instructions_per_mac']:.2f}" if row["instructions_per_mac"] else "-"
        lines.append(f"  {row['node']:>3} {row['opcode'][:18]:<18} {row['macs']:>11,} {row['instructions']:>13,} "
                     f"{row['share']:>6.1%} {per_mac:>6}  {row['output'][-40:]}")
    lines.append(f"  total {profile['instructions']:,} instructions per inference inside {profile['function']} "
                 f"(input/output copies {profile['input_output_copy']:,}), {profile['emulator']}")
    return "\n".join(lines)


def profile_step(targets, sources, settings):
    """firmware.elf + aot_info.json (+ verify.json: only verified firmware is profiled) ->
    profile.json, and the table printed."""
    elf, info_path = sources[0], sources[1]
    with open(info_path) as f:
        nodes = json.load(f)["nodes"]
    emulator = emulator_for_counting(settings["emulator"])
    plugin = build_plugin(settings["build_dir"])
    function = f"{settings['model']}_invoke"
    try:
        counted = count_under_qemu(emulator, plugin, elf, settings["args"], function, mark=MARK)
    except FileNotFoundError:
        raise UserError(f"profile=1 for {settings['target']}: cannot run {emulator[0]}; install it "
                        f"(Debian package {settings['emulator_package'] or 'qemu-user'}).") from None
    except RuntimeError as e:
        raise UserError(f"profile=1 for {settings['target']}: profiling {elf} failed: {e}") from None
    if not counted["calls"]:
        raise UserError(f"profile=1: {elf} never called {function}.")
    profile = {"model": settings["model"], "target": settings["target"], "function": function,
               "emulator": os.path.basename(emulator[0]), "calls": counted["calls"],
               **operator_profile(nodes, counted["buckets"], counted["calls"])}
    write_atomically(targets[0], json.dumps(profile, indent=2) + "\n")
    print(f"{settings['model']} on {settings['target']}: instructions per inference by operator "
          f"(mean of {counted['calls']} inferences)\n{format_profile(profile)}", flush=True)
