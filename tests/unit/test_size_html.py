"""The size diff (size_diff.py) and the HTML size page (size_html.py), on a report shaped
like a real size.json (Cortex-M55, af_detection; symbols cut to a few per component)."""
import copy
import shutil
import struct
import subprocess
import tempfile
import zlib
from html.parser import HTMLParser

import pytest

from nnbuild.size_diff import diff_reports, format_changed_totals, format_size_diff
from nnbuild.size_html import render_size_html, squarify


def _symbols(*rows):
    return [{"name": name, "size": size, "section": section} for name, size, section in rows]


REPORT = {
    "flash": {"total": 25956, "budget": 524288,
              "components": {"model weights": 11392, "C library": 9912, "model code": 2464, "kernels": 1786,
                             "startup": 190, "runner": 190, "linker": 22},
              "sections": {".text": 25844, ".data": 112}},
    "ram": {"total": 40580, "budget": 524288,
            "components": {"heap": 16384, "stack": 16384, "arena": 7496, "C library": 300, "linker": 14,
                           "runner": 2},
            "sections": {".data": 112, ".bss": 7700, ".heap": 16384, ".stack": 16384}},
    "arena": {"bytes": 7496, "lower_bound": 7496, "tflm": 12144},
    "symbols": {
        "C library": _symbols(("__sfvwrite_r", 740, ".text"), ("_printf_i", 696, ".text"),
                              ("_vfiprintf_r", 644, ".text"), ("impure_data", 96, ".data")),
        "arena": _symbols(("af_detection_arena", 7496, ".bss")),
        "kernels": _symbols(("nn_conv2d_s8", 580, ".text"), ("nn_avg_pool_s8", 410, ".text"),
                            ("nn_max_pool_s8", 352, ".text")),
        "model code": _symbols(("af_detection_invoke", 340, ".text"), ("op11_shift", 128, ".text")),
        "model weights": _symbols(("af_detection_w7", 3840, ".text"), ("af_detection_w5", 3072, ".text"),
                                  ("af_detection_w9", 1920, ".text")),
        "runner": _symbols(("main", 120, ".text"), ("output", 2, ".bss")),
        "startup": _symbols(("Reset_Handler", 120, ".text")),
    },
}


def _changed():
    """REPORT after a change: weights +1024 (a new array), kernels -410 (a kernel dropped),
    C library -96 (a function shrank), arena +504."""
    new = copy.deepcopy(REPORT)
    flash, ram, symbols = new["flash"], new["ram"], new["symbols"]
    flash["components"].update({"model weights": 12416, "kernels": 1376, "C library": 9816})
    flash["total"], flash["sections"][".text"] = 25956 + 518, 25844 + 518
    symbols["model weights"].append({"name": "af_detection_w13", "size": 1024, "section": ".text"})
    symbols["kernels"] = [s for s in symbols["kernels"] if s["name"] != "nn_avg_pool_s8"]
    symbols["C library"][1]["size"] = 600
    ram["components"]["arena"] = new["arena"]["bytes"] = 8000
    ram["total"], ram["sections"][".bss"] = 40580 + 504, 7700 + 504
    symbols["arena"][0]["size"] = 8000
    return new


def test_diff_gives_exact_changes_largest_first():
    diff = diff_reports(REPORT, _changed())
    flash, ram = diff["flash"], diff["ram"]
    assert flash["total"] == {"old": 25956, "new": 26474, "change": 518, "percent": pytest.approx(100 * 518 / 25956)}
    assert flash["budget"] == 524288
    assert [(r["component"], r["old"], r["new"], r["change"]) for r in flash["components"]] == [
        ("model weights", 11392, 12416, 1024), ("kernels", 1786, 1376, -410), ("C library", 9912, 9816, -96)]
    assert flash["components"][1]["percent"] == pytest.approx(-410 / 1786 * 100)
    assert [(r["component"], r["name"], r["old"], r["new"], r["change"], r["percent"]) for r in flash["symbols"]] == [
        ("model weights", "af_detection_w13", 0, 1024, 1024, None),
        ("kernels", "nn_avg_pool_s8", 410, 0, -410, -100.0),
        ("C library", "_printf_i", 696, 600, -96, pytest.approx(-96 / 696 * 100))]
    # Only the arena changed in RAM: .text symbols are not RAM, the unchanged .data one is not listed.
    assert [(r["component"], r["change"]) for r in ram["components"]] == [("arena", 504)]
    assert [(r["name"], r["old"], r["new"]) for r in ram["symbols"]] == [("af_detection_arena", 7496, 8000)]
    assert ram["total"]["change"] == 504


def test_diff_text_lists_changes_within_100_columns():
    new = _changed()
    long_name = "_ZN6tflite" + "x" * 120
    new["symbols"]["C library"].append({"name": long_name, "size": 8, "section": ".text"})
    text = format_size_diff(diff_reports(REPORT, new))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert lines[0] == "flash: +518 B (+2.0%), 25956 -> 26474 B (budget 524288 B)"
    rows = [line.split() for line in lines]
    assert ["+1024", "+9.0%", "11392", "12416", "model", "weights"] in rows
    assert ["+518", "+2.0%", "25956", "26474", "total"] in rows
    assert ["+1024", "[NEW]", "0", "1024", "model", "weights", "af_detection_w13"] in rows
    assert ["-410", "[DEL]", "410", "0", "kernels", "nn_avg_pool_s8"] in rows
    assert any(line.endswith("...") and "_ZN6tflitexxx" in line for line in lines)
    assert "RAM: +504 B (+1.2%), 40580 -> 41084 B (budget 524288 B)" in lines
    assert not any("stack" in line or "startup" in line for line in lines)  # unchanged rows are left out
    assert format_size_diff(diff_reports(REPORT, REPORT)).splitlines()[0] == \
        "flash: unchanged, 25956 B (budget 524288 B)"


def test_the_per_build_note_shows_ram_growth_too():
    """What a rebuild prints when the size changed: one line per memory whose total moved."""
    assert format_changed_totals(diff_reports(REPORT, _changed())) == [
        "flash: +518 B (+2.0%), 25956 -> 26474 B", "RAM: +504 B (+1.2%), 40580 -> 41084 B"]
    only_ram = copy.deepcopy(REPORT)
    only_ram["ram"]["total"] += 16
    assert format_changed_totals(diff_reports(REPORT, only_ram)) == ["RAM: +16 B (+0.0%), 40580 -> 40596 B"]
    assert format_changed_totals(diff_reports(REPORT, REPORT)) == []


def test_squarify_tiles_the_rectangle_in_proportion():
    sizes = [6, 6, 4, 3, 2, 2, 1]
    rects = squarify(sizes, 10, 20, 600, 400)
    assert sum(w * h for _, _, w, h in rects) == pytest.approx(600 * 400)
    for size, (x, y, w, h) in zip(sizes, rects):
        assert w * h == pytest.approx(600 * 400 * size / sum(sizes))
        assert 10 - 1e-9 <= x and x + w <= 610 + 1e-9 and 20 - 1e-9 <= y and y + h <= 420 + 1e-9
        assert max(w / h, h / w) < 3  # near square, the point of squarifying


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text, self.titles, self._in_title = [], [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_title:
            self.titles.append(data)


def _parse(html):
    page = _Page()
    page.feed(html)
    page.close()
    return page


def test_page_shows_every_component_and_total_offline():
    html = render_size_html(REPORT, "cortex-m55 <aot> af_detection & co")
    page = _parse(html)
    text = " ".join(page.text)
    assert page.titles[0] == "cortex-m55 <aot> af_detection & co"  # escaped, read back as given
    for memory in ("flash", "ram"):
        for name in REPORT[memory]["components"]:
            assert name in text
    assert "25,956 B" in text and "40,580 B" in text  # flash and RAM totals
    assert "5.0% used" in text and "7.7% used" in text  # against the 512 KiB budgets
    assert "af_detection_w7 (model weights, .text): 3,840 bytes" in page.titles  # a symbol's tooltip
    assert "12,144 B (1.62× this arena)" in text  # TFLite Micro's arena
    assert sum(tag == "rect" for tag, _ in page.tags) > 20  # the treemaps
    assert "http://" not in html and "https://" not in html
    assert not {"script", "link", "img", "iframe"} & {tag for tag, _ in page.tags}


def test_page_says_over_budget_and_copes_with_missing_numbers():
    report = copy.deepcopy(REPORT)
    report["flash"]["budget"] = 20000
    report["ram"]["budget"] = None
    report["arena"]["tflm"] = None
    text = " ".join(_parse(render_size_html(report, "t")).text)
    assert "over by 5,956 B" in text
    assert "40,580 B, no budget set" in text
    assert "not measured" in text


def _distinct_scanlines(png):
    """Image width, height and how many different filtered scanlines its pixels make: an image
    of one colour makes at most a handful (one per PNG filter type, and the first row)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = {}, 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        chunks[kind] = chunks.get(kind, b"") + png[pos + 8:pos + 8 + length]
        pos += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {2: 3, 6: 4}[colour_type]
    pixels = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + width * channels * depth // 8
    return width, height, len({pixels[i:i + stride] for i in range(0, len(pixels), stride)})


def test_page_renders_in_chromium(tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium to render the page with (Debian: apt-get install chromium)")
    page, png = tmp_path / "size.html", tmp_path / "size.png"
    page.write_text(render_size_html(REPORT, "af_detection on cortex-m55"), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", f"--user-data-dir={profile}", f"--screenshot={png}",
                        "--window-size=1280,1600", page.as_uri()],
                       check=True, capture_output=True, timeout=120)
    width, height, distinct = _distinct_scanlines(png.read_bytes())
    assert (width, height) == (1280, 1600)
    assert distinct > 100, f"the screenshot is (nearly) one colour: {distinct} distinct rows"
