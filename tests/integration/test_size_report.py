"""nnbuild.size_report on a tiny firmware: weights, a kernel (from an archive)
and a runner with a static arena and TLS, linked with zig cc (lld) for
loongarch64 and x86_64 musl, and with arm-none-eabi-gcc (GNU ld) where present.

The first link for a zig target builds musl (about 30 s per target, cached in
~/.cache/zig afterwards); later runs take a few seconds.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from nnbuild.size_report import analyze_size, format_size_table

WEIGHTS_BYTES, ARENA_BYTES = 4096, 8192
SOURCES = {
    "weights.c": f"const signed char model_weights[{WEIGHTS_BYTES}] = {{1, 2, 3, 4}};\n",
    "kernel.c": """
void conv_int8(const signed char *w, signed char *out, int n) {
    for (int i = 0; i < n; i++) out[i] = (signed char)(w[i] * 3 + out[i]);
}
""",
    "main.c": f"""
#include <stdio.h>
extern const signed char model_weights[{WEIGHTS_BYTES}];
void conv_int8(const signed char *w, signed char *out, int n);
static signed char tensor_arena[{ARENA_BYTES}];
static _Thread_local int calls;
_Thread_local int last_status = 1;
int main(void) {{
    conv_int8(model_weights, tensor_arena, {WEIGHTS_BYTES});
    last_status = ++calls;
    printf("%d %d\\n", tensor_arena[7], last_status);
    return 0;
}}
""",
    # Bare-metal Arm reads the thread pointer through this ABI helper.
    "tp.c": "static char tls_block[64];\nvoid *__aeabi_read_tp(void) { return tls_block; }\n",
}
ZIG = [sys.executable, "-m", "ziglang"]
SIZE_FLAGS = ["-Os", "-ffunction-sections", "-fdata-sections"]
TOOLCHAINS = {
    "loongarch64": ZIG + ["cc", "-target", "loongarch64-linux-musl", "-mcpu=generic_la64+f+d"],
    "x86_64": ZIG + ["cc", "-target", "x86_64-linux-musl"],
    "arm-gnu": ["arm-none-eabi-gcc", "-mcpu=cortex-m55", "-mthumb",
                "--specs=nano.specs", "--specs=nosys.specs"],
}


def classify(input_file):
    """Component of a map input: `x.o` or `libx.a(member.o)`."""
    member = input_file[input_file.index("(") + 1:-1] if input_file.endswith(")") else input_file
    name = os.path.basename(member)
    return {"weights.o": "model weights", "kernel.o": "kernels", "main.o": "runner",
            "tp.o": "runner"}.get(name, "startup" if name.startswith("crt") else "C library")


def _build(toolchain, out):
    cc = TOOLCHAINS[toolchain] + SIZE_FLAGS
    sources = ["main.c", "weights.c", "kernel.c"] + (["tp.c"] if toolchain == "arm-gnu" else [])
    for name in sources:
        (out / name).write_text(SOURCES[name])
        subprocess.run(cc + ["-c", name, "-o", name[:-2] + ".o"], cwd=out, check=True)
    objects = [name[:-2] + ".o" for name in sources if name != "kernel.c"] + ["libkern.a"]
    subprocess.run(ZIG + ["ar", "rcs", "libkern.a", "kernel.o"], cwd=out, check=True)
    link = cc + ["-static", "-Wl,--gc-sections", "-o", "firmware.elf"] + objects
    if toolchain == "arm-gnu":
        subprocess.run(link + ["-Wl,-Map=firmware.map"], cwd=out, check=True)
    else:
        # zig 0.17 rejects -Wl,-Map=; lld's --print-map writes the map to stdout.
        with open(out / "firmware.map", "w") as map_file:
            subprocess.run(link + ["-Wl,--print-map"], cwd=out, check=True, stdout=map_file)
    return out / "firmware.elf", out / "firmware.map"


@pytest.fixture(scope="module", params=sorted(TOOLCHAINS))
def firmware(request, tmp_path_factory):
    """(elf, map, report, inputs handed to classify) for one toolchain."""
    if request.param == "arm-gnu" and not shutil.which("arm-none-eabi-gcc"):
        pytest.skip("arm-none-eabi-gcc not installed (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    elf, map_path = _build(request.param, tmp_path_factory.mktemp(request.param))
    seen = []

    def recording_classify(input_file):
        seen.append(input_file)
        return classify(input_file)

    report = analyze_size(elf, map_path, recording_classify, arena_symbol="tensor_arena")
    return elf, map_path, report, seen


def _elf_section_sizes(elf_path):
    """{flash, ram} -> {section: size}, straight from the section headers."""
    sizes = {"flash": {}, "ram": {}}
    with open(elf_path, "rb") as f:
        for s in ELFFile(f).iter_sections():
            flags, nobits = s["sh_flags"], s["sh_type"] == "SHT_NOBITS"
            if flags & SH_FLAGS.SHF_ALLOC and s["sh_size"]:
                if not nobits:
                    sizes["flash"][s.name] = s["sh_size"]
                if nobits or flags & SH_FLAGS.SHF_WRITE:
                    sizes["ram"][s.name] = s["sh_size"]
    return sizes


def test_components_add_up_to_the_elf_sections(firmware):
    elf, _, report, _ = firmware
    for mem, sections in _elf_section_sizes(elf).items():
        assert report[mem]["sections"] == sections
        assert report[mem]["total"] == sum(sections.values())
        assert sum(report[mem]["components"].values()) == report[mem]["total"]


def test_bytes_land_in_the_right_components(firmware):
    _, _, report, seen = firmware
    flash, ram = report["flash"], report["ram"]
    assert flash["components"]["model weights"] >= WEIGHTS_BYTES
    assert "model weights" not in ram["components"]
    assert flash["components"]["kernels"] > 0
    assert flash["components"]["C library"] > 0
    assert ram["components"]["arena"] == report["arena"]["bytes"] == ARENA_BYTES
    assert "arena" not in flash["components"]
    assert "libkern.a(kernel.o)" in seen
    # TLS: the .tdata image is in flash and copied to RAM; .tbss is RAM only.
    assert ".tdata" in flash["sections"] and ".tdata" in ram["sections"]
    assert ".tbss" in ram["sections"] and ".tbss" not in flash["sections"]
    weights = {s["name"]: s for s in report["symbols"]["model weights"]}
    assert weights["model_weights"] == {"name": "model_weights", "size": WEIGHTS_BYTES, "section": ".rodata"}


def test_size_table_lists_components_and_totals(firmware):
    _, _, report, _ = firmware
    lines = format_size_table(report).splitlines()
    assert lines[0].split() == ["component", "flash", "B", "flash", "%", "RAM", "B", "RAM", "%"]
    assert any(line.startswith("model weights ") for line in lines)
    total = next(line for line in lines if line.startswith("total "))
    assert total.split()[1:] == [str(report["flash"]["total"]), "100.0%", str(report["ram"]["total"]), "100.0%"]


def test_a_map_from_another_link_is_rejected(firmware, tmp_path):
    elf, map_path, _, _ = firmware
    text = Path(map_path).read_text()
    other = tmp_path / "other.map"
    other.write_text(text.replace(".rodata", ".rodata_elsewhere"))
    with pytest.raises(ValueError, match="same link"):
        analyze_size(elf, other, classify)
