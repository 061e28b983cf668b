"""Counting a firmware's guest instructions under qemu with the project's TCG plugin
(qemu_insn_count.c): inside `<model>_invoke`, and with profile=1 per operator. Shared
by the profile step (profile.py) and benchmarks/instructions.py. A qemu that cannot load
plugins (a static build, as bookworm-backports' qemu 10 for loongarch64-lsx) logs every
instruction instead, counted here by the plugin's rules."""

import os
import platform
import subprocess
import tempfile

from elftools.elf.elffile import ELFFile

PLUGIN_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qemu_insn_count.c")


def build_plugin(build_dir, source=PLUGIN_SOURCE):
    """build_dir/tools/libqemu_insn_count.so, compiled with the host's gcc when missing or
    older than its source (Debian's qemu ships no plugins)."""
    plugin = os.path.join(build_dir, "tools", "libqemu_insn_count.so")
    if not os.path.exists(plugin) or os.path.getmtime(plugin) < os.path.getmtime(source):
        os.makedirs(os.path.dirname(plugin), exist_ok=True)
        partial = f"{plugin}.{os.getpid()}"  # renamed into place: a concurrent run never loads half a file
        subprocess.run(["gcc", "-O2", "-Wall", "-Werror", "-shared", "-fPIC", "-fvisibility=hidden",
                        "-o", partial, source], check=True)
        os.replace(partial, plugin)
    return plugin


def symbol_address(elf, symbol):
    """Address of the function's first instruction; None if the ELF has no such symbol."""
    with open(elf, "rb") as f:
        image = ELFFile(f)
        found = image.get_section_by_name(".symtab").get_symbol_by_name(symbol)
        if not found:
            return None
        address = found[0]["st_value"]
        return address & ~1 if image["e_machine"] == "EM_ARM" else address  # bit 0 marks Thumb code


def emulator_for_counting(emulator):
    """The board's emulator command, or for a native board qemu user mode of this machine."""
    return emulator or [f"qemu-{platform.machine()}"]


def count_under_qemu(emulator, plugin, elf, args, function, mark=None):
    """Run elf under `emulator` with the plugin counting inside `function` (and split at
    calls of `mark`): {"instructions", "inside", "calls", "buckets": {index: count}}.
    RuntimeError if the run fails."""
    enter = symbol_address(elf, function)
    if enter is None:
        raise RuntimeError(f"{elf} has no symbol {function}")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "count")
        spec = f"file={plugin},enter={enter:#x},outfile={out}"
        if mark:
            spec += f",mark={symbol_address(elf, mark):#x}"
        # Plugin options go first; for qemu-system the target's command ends with -kernel.
        command = [emulator[0], "-plugin", spec, *emulator[1:], elf, *args]
        proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if "unknown option 'plugin'" in proc.stderr:
            return count_by_trace(emulator, elf, args, enter, symbol_address(elf, mark) if mark else None)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        with open(out) as f:
            lines = [line.split() for line in f]
    values = {line[0]: int(line[1]) for line in lines if len(line) == 2}
    values["buckets"] = {int(line[1]): int(line[2]) for line in lines if line[0] == "bucket"}
    return values


CALL_BYTES = 8  # as the plugin's: a call has returned when execution resumes this close after it


def count_by_trace(emulator, elf, args, enter, mark=None):
    """count_under_qemu for a qemu-user without plugin support: one instruction per
    translation block, each block's execution logged (-d exec,nochain) and followed here
    through the plugin's state machine (qemu_insn_count.c). Slow (a log line per guest
    instruction) but exact."""
    command = [emulator[0], "-one-insn-per-tb", "-d", "exec,nochain", "-D", "/dev/stderr", *emulator[1:], elf,
               *args]
    total = inside_count = calls = bucket = 0
    inside = in_mark = False
    call_site = mark_site = previous = -1
    buckets = {}
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    errors = []
    for line in proc.stderr:
        if not line.startswith("Trace "):  # "Trace 0: HOST [FLAGS/PC/...]"
            errors.append(line)
            continue
        pc = int(line.split("/", 2)[1], 16)
        if inside and call_site < pc <= call_site + CALL_BYTES:
            inside = False
        elif not inside and pc == enter:
            inside, call_site, bucket = True, previous, 0
            calls += 1
        if inside and mark is not None:
            if in_mark and mark_site < pc <= mark_site + CALL_BYTES:
                in_mark = False
            elif not in_mark and pc == mark:
                in_mark, mark_site = True, previous
                bucket += 1
        total += 1
        if inside:
            inside_count += 1
            if mark is not None and not in_mark:
                buckets[bucket] = buckets.get(bucket, 0) + 1
        previous = pc
    if proc.wait() != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}): {''.join(errors)[-2000:]}")
    return {"instructions": total, "inside": inside_count, "calls": calls, "buckets": buckets}
