"""Assign every byte of a linked firmware's flash and RAM to a component.

The ELF says which sections are allocated and how big they are; the linker map
says which input file each byte of a section came from. Two map formats are
read: lld's (zig cc; `-Wl,--print-map` to stdout, or `-Map=` where the driver
passes it on) and GNU ld's (`-Wl,-Map=`).

Memory model, from the ELF section flags (SHF_ALLOC sections only):
- flash: every section with file contents (not NOBITS): code, read-only data,
  and the initial image of writable data (.data, .tdata, .init_array, .got);
- RAM: every writable section plus every NOBITS one, so .data-like sections
  count in both. .tbss is counted once: the main thread's TLS block (it takes
  no address space in the image; other threads get theirs at run time).

Bytes the map does not tie to an input file (linker-synthesized sections such
as lld's `<internal>` .got, .eh_frame_hdr and merged string/constant pools,
GNU ld's "linker stubs", and alignment padding between input sections) go to
the component "linker", so the components add up exactly to each section.
"""
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from nnbuild import budgets, size_diff, size_html
from nnbuild.errors import UserError
from nnbuild.files import write_atomically
from nnbuild.progress import say

LINKER = "linker"
RESERVED = {".stack": "stack", ".heap": "heap"}
ARENA = "arena"


@dataclass
class _Input:
    file: str | None  # None: synthesized by the linker
    section: str
    address: int
    size: int
    symbols: list = field(default_factory=list)  # [name, address, size]


@dataclass
class _OutputSection:
    address: int
    size: int
    inputs: list = field(default_factory=list)


def _input_file(text):
    """The path handed to classify: `dir/x.o` or `dir/libx.a(member.o)`, as the
    linker was given it (relative to the link's directory), path normalized
    (GNU ld prints `gcc/12/../../../lib/libc.a(...)`); the member is left as is."""
    archive, paren, member = text.partition("(")
    return os.path.normpath(archive) + paren + member


def _parse_lld_map(lines):
    # The header ("VMA LMA Size Align Out In Symbol"; older lld has no LMA,
    # 32-bit targets use narrower columns) gives where names start; the name's
    # indent says output section, input section, or symbol.
    header = lines[0]
    out_col = header.index(" Out ") + 1
    in_indent = header.index(" In ") + 1 - out_col
    sections, current, inp = {}, None, None
    for line in lines[1:]:
        numbers, name = line[:out_col].split(), line[out_col:]
        if not numbers:
            continue
        address, size = int(numbers[0], 16), int(numbers[-2], 16)
        indent = len(name) - len(name.lstrip(" "))
        name = name.strip()
        if indent == 0:
            current = sections[name] = _OutputSection(address, size)
        elif indent == in_indent:
            # "file:(section)" or "file:(.eh_frame+0x14)"; other lines at this
            # depth are linker-script assignments and hold no bytes.
            m = re.fullmatch(r"(.*):\((.*)\)", name)
            inp = None
            if m:
                inp = _Input(None if m[1] == "<internal>" else _input_file(m[1]), m[2], address, size)
                current.inputs.append(inp)
        elif inp is not None:
            inp.symbols.append([name, address, size])
    return sections


_GNU_OUTPUT = re.compile(r"([.\w][^\s(]*)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+).*)?$")
_GNU_INPUT = re.compile(r" ([.\w][^\s(]*)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(.+))?$")
_GNU_WRAPPED = re.compile(r"\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)(?:\s+(.+))?$")
_GNU_SYMBOL = re.compile(r"\s+0x([0-9a-f]+)\s+([^\s=]+)$")
# -fdata-sections' `.bss.name`, or nnbuild's own `.bss.nn_arena.name` / `.rodata.nn_weights.name`
_GNU_OWN_SECTION = re.compile(r"\.(?:text|rodata|data|bss|tdata|tbss)\.(?:nn_arena\.|nn_weights\.)?(.+)")


def _parse_gnu_map(lines):
    # Output sections start at column 0, input sections at column 1 (` *fill*`
    # and ` *(pattern)` lines are skipped: padding is what the inputs leave).
    # A name too long for its column wraps, its address and size follow on the
    # next line. Symbol lines carry an address only, and only for globals.
    sections, current, inp, wrapped = {}, None, None, None
    for line in lines[lines.index("Linker script and memory map") + 1:]:
        if line.startswith("OUTPUT("):
            break
        if wrapped and (m := _GNU_WRAPPED.match(line)):
            kind, name, address, size, file = *wrapped, m[1], m[2], m[3]
        elif m := _GNU_OUTPUT.match(line):
            kind, name, address, size, file = "output", m[1], m[2], m[3], None
        elif m := _GNU_INPUT.match(line):
            kind, name, address, size, file = "input", m[1], m[2], m[3], m[4]
        else:
            if inp is not None and (m := _GNU_SYMBOL.match(line)):
                inp.symbols.append([m[2], int(m[1], 16), None])
            wrapped = None
            continue
        wrapped = (kind, name) if address is None else None
        inp = None
        if kind == "output":
            # A name without numbers is an empty, unemitted section (or wraps);
            # default scripts name some sections (.eh_frame) twice.
            current = None if address is None else sections.setdefault(
                name, _OutputSection(int(address, 16), int(size, 16)))
        elif address is not None and file and current is not None:
            inp = _Input(None if file == "linker stubs" else _input_file(file), name,
                         int(address, 16), int(size, 16))
            current.inputs.append(inp)
    for section in sections.values():
        for inp in section.inputs:
            _complete_gnu_symbols(inp)
    return sections


def _complete_gnu_symbols(inp):
    """GNU maps list global symbols only, without sizes: name the input section's
    own symbol (`.bss.name` under -fdata-sections) if unlisted, and let each
    symbol extend to the next one or to the input's end."""
    m = _GNU_OWN_SECTION.fullmatch(inp.section)
    if m and inp.address not in {address for _, address, _ in inp.symbols}:
        inp.symbols.append([m[1], inp.address, None])
    ends = sorted({address for _, address, _ in inp.symbols} | {inp.address + inp.size})
    for symbol in inp.symbols:
        following = [end for end in ends if end > symbol[1]]
        symbol[2] = following[0] - symbol[1] if following else 0


def _parse_map(text):
    """Output sections of a linker map: {name: _OutputSection with its inputs}."""
    lines = text.splitlines()
    if lines and lines[0].split()[:1] in (["VMA"], ["Address"]):
        return _parse_lld_map(lines)
    if "Linker script and memory map" in lines:
        return _parse_gnu_map(lines)
    raise ValueError("unknown linker map format (expected lld or GNU ld)")


def _attribute(name, size, mapped, classify, arena_symbol):
    """One ELF section as {component: bytes}, its symbols, and the arena's size if it is here."""
    parts, symbols, arena = defaultdict(int), [], []
    cursor, end = mapped.address, mapped.address + size
    for inp in sorted(mapped.inputs, key=lambda i: i.address):
        # Clip to bytes not yet counted: GNU ld lists merged inputs overlapping.
        start, stop = max(inp.address, cursor), min(inp.address + inp.size, end)
        component = classify(inp.file) if inp.file else LINKER
        parts[component] += max(0, stop - start)
        cursor = max(cursor, stop)
        seen = set()
        for sym_name, address, sym_size in inp.symbols:
            if sym_size <= 0 or (address, sym_size) in seen:
                continue  # labels, and aliases of a symbol already counted
            seen.add((address, sym_size))
            if sym_name == arena_symbol:
                parts[component] -= sym_size
                parts[ARENA] += sym_size
                arena.append(sym_size)
                symbols.append((ARENA, sym_name, sym_size, name))
            else:
                symbols.append((component, sym_name, sym_size, name))
    # Reserved regions a linker script declares (bare-metal stack and heap) are their own components.
    parts[RESERVED.get(name, LINKER)] += size - sum(parts.values())
    return parts, symbols, arena


def toolchain_component(input_file):
    """The component of an input file the project did not compile: startup, compiler runtime or C library."""
    base = os.path.basename(input_file.split("(")[0])
    member = input_file.partition("(")[2]
    if base.startswith(("crt", "rcrt", "Scrt")) or member.startswith("crt"):
        return "startup"
    if "compiler_rt" in base or base.startswith("libgcc"):
        return "compiler runtime"
    return "C library"


def runpath_libraries(elf_path):
    """{file name: bytes} of the shared libraries a dynamic firmware loads from its run path
    (a runtime shipped beside the program, not the system's C library): they are not in
    the ELF's own flash total, but the device needs them."""
    with open(elf_path, "rb") as f:
        dynamic = ELFFile(f).get_section_by_name(".dynamic")
        if dynamic is None:
            return {}
        tags = [(t.entry.d_tag, t) for t in dynamic.iter_tags()]
        needed = [t.needed for tag, t in tags if tag == "DT_NEEDED"]
        folders = [d for tag, t in tags if tag in ("DT_RUNPATH", "DT_RPATH")
                   for d in (t.runpath if tag == "DT_RUNPATH" else t.rpath).split(":")]
    found = {}
    for name in needed:
        path = next((os.path.join(d, name) for d in folders if os.path.isfile(os.path.join(d, name))), None)
        if path:
            found[name] = os.path.getsize(path)
    return found


def analyze_size(elf_path, map_path, classify, arena_symbol=None, exclude_sections=(".test_vectors",)):
    """Size report shaped like size.json: flash/RAM totals, components, sections, arena, symbols.

    classify(input_file) names the component of an input file (see _input_file
    for the form). arena_symbol names the static tensor arena, reported as its
    own RAM component carved out of its object's component. exclude_sections
    are not part of the firmware (a bare-metal image's verification vectors).
    """
    with open(map_path, encoding="utf-8", errors="replace") as f:
        mapped = _parse_map(f.read())
    report = {mem: {"total": 0, "budget": None, "components": defaultdict(int), "sections": {}}
              for mem in ("flash", "ram")}
    symbols, arenas = defaultdict(list), []
    with open(elf_path, "rb") as f:
        for section in ELFFile(f).iter_sections():
            flags, size = section["sh_flags"], section["sh_size"]
            if not flags & SH_FLAGS.SHF_ALLOC or size == 0 or section.name in exclude_sections:
                continue
            nobits = section["sh_type"] == "SHT_NOBITS"
            memories = [mem for mem, counts in (("flash", not nobits),
                                                ("ram", nobits or flags & SH_FLAGS.SHF_WRITE)) if counts]
            out = mapped.get(section.name)
            if out is None or out.size != size:
                raise ValueError(f"{map_path} does not describe {section.name} ({size} bytes) of "
                                 f"{elf_path}; is the map from the same link?")
            parts, section_symbols, arena = _attribute(section.name, size, out, classify, arena_symbol)
            arenas += arena
            for component, sym_name, sym_size, sec_name in section_symbols:
                symbols[component].append({"name": sym_name, "size": sym_size, "section": sec_name})
            for mem in memories:
                report[mem]["total"] += size
                report[mem]["sections"][section.name] = size
                for component, nbytes in parts.items():
                    report[mem]["components"][component] += nbytes
    if arena_symbol is not None and len(arenas) != 1:
        raise ValueError(f"arena symbol {arena_symbol!r} found {len(arenas)} times in {map_path}, expected once")
    for mem in ("flash", "ram"):
        components = report[mem]["components"]
        report[mem]["components"] = dict(sorted(((c, b) for c, b in components.items() if b),
                                                key=lambda cb: -cb[1]))
    report["arena"] = {"bytes": arenas[0] if arenas else None}
    # Every symbol, not just the largest: size_diff matches them between two reports.
    report["symbols"] = {component: sorted(syms, key=lambda sym: -sym["size"])
                         for component, syms in sorted(symbols.items())}
    _check_adds_up(report)
    return report


def region_usage(elf_path, regions, exclude_sections=(".test_vectors",)):
    """{region name: {"used": B, "length": B}}: the bytes each memory region holds, by the
    addresses of the ELF's sections (a .data's load image counts where it is loaded from too).
    `regions` are memory_map.Region-like dicts with name, origin, length."""
    usage = {r["name"]: {"used": 0, "length": r["length"]} for r in regions}

    def add(address, size):
        for r in regions:
            if r["origin"] <= address < r["origin"] + r["length"]:
                usage[r["name"]]["used"] += size
                return

    with open(elf_path, "rb") as f:
        elf = ELFFile(f)
        loads = [seg for seg in elf.iter_segments() if seg["p_type"] == "PT_LOAD"]
        for section in elf.iter_sections():
            if not section["sh_flags"] & SH_FLAGS.SHF_ALLOC or not section["sh_size"] \
                    or section.name in exclude_sections:
                continue
            add(section["sh_addr"], section["sh_size"])
            if section["sh_type"] != "SHT_NOBITS":
                for seg in loads:
                    if seg.section_in_segment(section) and seg["p_paddr"] != seg["p_vaddr"]:
                        add(section["sh_addr"] - seg["p_vaddr"] + seg["p_paddr"], section["sh_size"])
    return usage


def _check_adds_up(report):
    """The components must split each total (the ELF's section sizes) exactly."""
    for mem in ("flash", "ram"):
        r = report[mem]
        sums = (sum(r["components"].values()), sum(r["sections"].values()))
        if sums != (r["total"],) * 2 or any(b < 0 for b in r["components"].values()):
            raise RuntimeError(f"size report for {mem} does not add up: total {r['total']}, "
                               f"components and sections sum to {sums}: {r['components']}")


def format_size_table(report):
    """Fixed-width text table: component, flash bytes and %, RAM bytes and %, totals."""
    flash, ram = report["flash"], report["ram"]
    names = sorted(set(flash["components"]) | set(ram["components"]),
                   key=lambda c: -(flash["components"].get(c, 0) + ram["components"].get(c, 0)))
    width = max([len("component")] + [len(n) for n in names])

    def row(label, f, r):
        pct = lambda b, t: f"{100 * b / t:6.1f}%" if t else "      -"
        return f"{label:<{width}}  {f:>10}  {pct(f, flash['total'])}  {r:>10}  {pct(r, ram['total'])}"

    lines = [f"{'component':<{width}}  {'flash B':>10}  {'flash %':>7}  {'RAM B':>10}  {'RAM %':>7}"]
    lines += [row(n, flash["components"].get(n, 0), ram["components"].get(n, 0)) for n in names]
    lines.append(row("total", flash["total"], ram["total"]))
    if flash["budget"] is not None or ram["budget"] is not None:
        budgets = ["-" if b is None else b for b in (flash["budget"], ram["budget"])]
        lines.append(f"{'budget':<{width}}  {budgets[0]:>10}  {'':7}  {budgets[1]:>10}")
    if report["arena"]["bytes"] is not None:
        lines.append(f"arena: {report['arena']['bytes']} bytes of RAM")
    if report.get("regions"):
        lines += ["", f"{'memory region':<14}  {'used B':>10}  {'length B':>10}  {'used %':>7}"]
        lines += [f"{name:<14}  {r['used']:>10}  {r['length']:>10}  {100 * r['used'] / r['length']:6.1f}%"
                  for name, r in report["regions"].items()]
    return "\n".join(lines) + "\n"


def size_step(targets, sources, settings):
    """firmware.elf, firmware.map, aot_info.json -> size.json, size.txt and size.html, per
    component; the previous size.json is kept as size.previous.json and compared.

    Over budget, the reports are written as size.over_budget.{json,txt,html} instead and
    the step fails: a report of a failed check is never taken for this build's."""
    folder = os.path.dirname(targets[0])
    previous_path = os.path.join(folder, "size.previous.json")
    over_budget = [os.path.join(folder, f"size.over_budget{os.path.splitext(t)[1]}") for t in targets]
    for stale in over_budget:
        if os.path.exists(stale):
            os.remove(stale)
    if os.path.exists(targets[0]):  # size.json is Precious: SCons leaves the last one in place
        os.replace(targets[0], previous_path)
    elf, map_path = sources[0], sources[1]
    components = {os.path.normpath(k): v for k, v in settings["components"].items()}

    def classify(input_file):
        archive = input_file.split("(")[0]
        return components.get(os.path.normpath(input_file),
                              components.get(archive) or toolchain_component(input_file))

    report = analyze_size(elf, map_path, classify, arena_symbol=settings.get("arena_symbol"))
    if settings.get("regions"):
        report["regions"] = region_usage(elf, settings["regions"])
    with open(sources[2]) as f:
        planned = json.load(f)["arena"]
    report["arena"].update(planned)
    report["shared_libraries"] = runpath_libraries(elf)
    for memory in ("flash", "ram"):
        report[memory]["budget"] = settings["budget"][memory]["bytes"]
    over = [budgets.overshoot(report, memory, settings["budget"][memory]["from"]) for memory in ("flash", "ram")]
    over = [message for message in over if message]
    json_path, txt_path, html_path = over_budget if over else targets
    write_atomically(json_path, json.dumps(report, indent=2) + "\n")
    write_atomically(txt_path, format_size_table(report))
    write_atomically(html_path, size_html.render_size_html(report, f"{settings['title']}: firmware size"))
    baseline = settings.get("diff") or (previous_path if os.path.exists(previous_path) else None)
    if baseline:
        with open(baseline) as f:
            diff = size_diff.diff_reports(json.load(f), report)
        if settings.get("diff"):
            say(f"size against {baseline}:")
            lines = size_diff.format_size_diff(diff).splitlines()
        else:  # only the totals, and only when something changed
            lines = size_diff.format_changed_totals(diff)
        for line in lines:
            say(line)
    if over:
        raise UserError(f"{elf}: " + " ".join(over) + f" See {txt_path}.")
