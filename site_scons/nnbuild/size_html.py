"""A size report (size.json) as one self-contained HTML page, to look at rather than read.

Per memory (flash, RAM): a bar of the components against the budget, and a
squarified treemap of the components with each one's largest symbols inside.
Then the arena against its lower bound and TFLite Micro's, and the table. The
geometry is computed here and drawn as inline SVG (templates/size/size.html.j2):
no script, stylesheet or font is fetched, so the page opens anywhere, offline.
"""
import itertools

from .render import render_template

WIDTH = 1200  # SVG user units; the page is laid out for 1280 px wide windows
TREEMAP_HEIGHT = 340
SYMBOLS_SHOWN = 12  # per component; the rest of its bytes stay as one unlabelled block
HEADER = 36  # a component's name and bytes above its symbols
CHAR_WIDTH = 0.62  # of the font size: a sans font's mean glyph width, to judge what label fits

# Paul Tol's colour-blind safe "muted" scheme, fixed per component so a component
# keeps its colour in both memories and from one report to the next.
COLOURS = {"model weights": "#332288", "model code": "#88CCEE", "kernels": "#44AA99",
           "runner": "#DDCC77", "C library": "#CC6677", "startup": "#999933",
           "compiler runtime": "#AA4499", "arena": "#882255", "stack": "#117733",
           "heap": "#BBBBBB", "linker": "#DDDDDD"}
SPARE_COLOURS = ["#77AADD", "#EE8866", "#AAAA00", "#FFAABB"]  # components named elsewhere
OVER_BUDGET = "#B2182B"


def _luminance(colour):
    def channel(c):
        c = int(c, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _ink(fill):
    """Black or white text, whichever contrasts more with fill (WCAG contrast ratio)."""
    return "#000000" if (_luminance(fill) + 0.05) / 0.05 > 1.05 / (_luminance(fill) + 0.05) else "#ffffff"


def _tint(colour, amount=0.6):
    """colour mixed with white: symbol tiles stand out inside their component."""
    rgb = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in rgb)


def _bytes(n):
    return f"{n:,} B"


def _kib(n):
    return f"{n / 1024:,.1f} KiB"


def _share(size, total):
    share = 100 * size / total
    return "<0.1%" if 0 < share < 0.1 else f"{share:.1f}%"


def _fit(text, width, size):
    """text cut to what fits in width at font size (estimated), '' if not even a stub fits."""
    chars = int((width - 8) / (CHAR_WIDTH * size))
    if len(text) <= chars:
        return text
    return text[:chars - 1] + "…" if chars >= 4 else ""


def _worst(row, side):
    """Worst aspect ratio of areas laid side by side along a side of this length."""
    total = sum(row)
    return max(max(side * side * a / (total * total), total * total / (side * side * a)) for a in row)


def squarify(sizes, x, y, w, h):
    """Rects (x, y, w, h) tiling the rectangle, one per size (in order, largest first), each
    with area proportional to its size, kept near square (Bruls, Huizing, van Wijk 2000)."""
    scale = w * h / sum(sizes)
    areas, rects = [s * scale for s in sizes], []
    while areas:
        side = min(w, h)
        row = areas[:1]
        while len(row) < len(areas) and _worst(row + [areas[len(row)]], side) <= _worst(row, side):
            row.append(areas[len(row)])
        areas = areas[len(row):]
        thickness = sum(row) / side
        offset = 0
        for area in row:  # the row runs along the shorter side, then the rest is what remains
            length = area / thickness
            rects.append((x, y + offset, thickness, length) if w >= h else (x + offset, y, length, thickness))
            offset += length
        if w >= h:
            x, w = x + thickness, w - thickness
        else:
            y, h = y + thickness, h - thickness
    return rects


def _colours(report):
    names = list(report["flash"]["components"]) + list(report["ram"]["components"])
    spare, colours = itertools.cycle(SPARE_COLOURS), {}
    for name in names:
        colours.setdefault(name, COLOURS.get(name) or next(spare))
    return colours


def _symbols(report, memory, component, limit):
    """The component's largest symbols in this memory's sections, no more bytes than it has."""
    sections, shown, room = report[memory]["sections"], [], limit
    for symbol in report["symbols"].get(component, []):
        if symbol["section"] in sections and 0 < symbol["size"] <= room and len(shown) < SYMBOLS_SHOWN:
            shown.append(symbol)
            room -= symbol["size"]
    return shown


def _tile(x, y, w, h, fill, tip, lines, stroke="#ffffff"):
    """One treemap rectangle: lines are (text, font size, bold) stacked from the top left."""
    texts, baseline = [], y + 4
    for text, size, bold in lines:
        baseline += size + 2
        text = _fit(text, w, size)
        if not text or baseline > y + h - 3:
            break
        texts.append({"x": x + 4, "y": baseline, "text": text, "size": size, "bold": bold})
    return {"x": x, "y": y, "w": w, "h": h, "fill": fill, "stroke": stroke, "ink": _ink(fill),
            "tip": tip, "texts": texts}


def _treemap(report, memory, colours):
    part = report[memory]
    total, tiles = part["total"], []
    components = list(part["components"].items())
    for (name, size), (x, y, w, h) in zip(components, squarify([s for _, s in components], 0, 0,
                                                                  WIDTH, TREEMAP_HEIGHT)):
        share = f"{_bytes(size)} · {_share(size, total)}"
        tiles.append(_tile(x, y, w, h, colours[name], f"{name}: {size:,} bytes of {total:,}",
                           [(name, 13, True), (share, 12, False)]))
        symbols = _symbols(report, memory, name, size)
        if not symbols or w < 60 or h < HEADER + 24:
            continue  # too small to show symbols legibly; the tooltip has the bytes
        sizes = [s["size"] for s in symbols] + [size - sum(s["size"] for s in symbols)]
        inner = squarify([s for s in sizes if s], x + 3, y + HEADER, w - 6, h - HEADER - 3)
        for symbol, (sx, sy, sw, sh) in zip(symbols, inner):
            tiles.append(_tile(sx, sy, sw, sh, _tint(colours[name]),
                               f"{symbol['name']} ({name}, {symbol['section']}): {symbol['size']:,} bytes",
                               [(symbol["name"], 11, False), (_bytes(symbol["size"]), 11, False)],
                               stroke=colours[name]))
    return tiles


def _budget_bar(part, colours):
    """The components as one stacked bar on a scale that also holds the budget."""
    total, budget = part["total"], part["budget"]
    scale = WIDTH / max(total, budget or 0, 1)
    segments, x = [], 0
    for name, size in part["components"].items():
        segments.append({"x": x, "w": size * scale, "fill": colours[name],
                         "tip": f"{name}: {size:,} bytes"})
        x += size * scale
    if budget is None:
        return {"segments": segments, "line": None, "over": False, "caption": f"{_bytes(total)}, no budget set"}
    used = f"{_bytes(total)} ({_kib(total)}) of a {_bytes(budget)} ({_kib(budget)}) budget"
    if total > budget:
        caption = f"{used}: over by {_bytes(total - budget)}"
    else:
        caption = f"{used}: {100 * total / budget:.1f}% used, {_bytes(budget - total)} free"
    return {"segments": segments, "line": budget * scale, "over": total > budget, "caption": caption}


def _legend(part, colours):
    """Every component with its bytes and share: small ones have no room for a label in the treemap."""
    return [{"name": name, "colour": colours[name], "share": f"{_bytes(size)} · {_share(size, part['total'])}"}
            for name, size in part["components"].items()]


def _arena_bars(arena):
    """Planned arena, its lower bound and TFLite Micro's arena as bars on one scale."""
    rows = [("lower bound", arena.get("lower_bound"), "#BBBBBB", "most tensor bytes alive at any step"),
            ("this arena", arena["bytes"], COLOURS["arena"], "the firmware's, shared by all tensors"),
            ("TFLite Micro", arena.get("tflm"), "#77AADD", "arena the reference interpreter needs")]
    scale = (WIDTH - 520) / max(value or 0 for _, value, _, _ in rows)
    bars = []
    for label, value, fill, meaning in rows:
        if value is None:
            note = "not measured"
        elif label == "this arena":
            note = _bytes(value)
        else:
            note = f"{_bytes(value)} ({value / arena['bytes']:.2f}× this arena)"
        bars.append({"label": label, "meaning": meaning, "w": (value or 0) * scale, "fill": fill,
                     "note": note, "tip": f"{label}: {value:,} bytes" if value is not None else label})
    return bars


def _table(report, colours):
    flash, ram = report["flash"], report["ram"]
    names = sorted(colours, key=lambda c: -(flash["components"].get(c, 0) + ram["components"].get(c, 0)))

    def cells(part, name):
        size = part["components"].get(name, 0)
        return [f"{size:,}", _share(size, part["total"])] if size else ["–", "–"]

    rows = [{"name": n, "colour": colours[n], "cells": cells(flash, n) + cells(ram, n)} for n in names]
    totals = [f"{flash['total']:,}", "100.0%", f"{ram['total']:,}", "100.0%"]
    budgets = ["-" if p["budget"] is None else f"{p['budget']:,}" for p in (flash, ram)]
    return {"rows": rows, "totals": totals, "budgets": [budgets[0], "", budgets[1], ""]}


def render_size_html(report, title):
    """The page for one size report (size.json's shape) as an HTML string."""
    colours = _colours(report)
    memories = [{"label": label, "bar": _budget_bar(report[memory], colours),
                 "legend": _legend(report[memory], colours), "tiles": _treemap(report, memory, colours)}
                for memory, label in (("flash", "Flash"), ("ram", "RAM")) if report[memory]["total"]]
    arena = report["arena"]
    return render_template("size/size.html.j2", title=title, memories=memories, width=WIDTH,
                           treemap_height=TREEMAP_HEIGHT, over_budget=OVER_BUDGET,
                           arena=_arena_bars(arena) if arena.get("bytes") else None,
                           table=_table(report, colours))
