"""What grew and what shrank between two size reports (size.json), like bloaty's diff mode.

Changes are given per component and per symbol, for flash and for RAM. A symbol
is matched by (component, name); it counts in the memories its section is in
(a .data symbol in both, as its section is). Symbols of one component that share
a name (static functions of different files) are added up. Comparing with a
report made before size.json listed every symbol (it kept each component's 20
largest) shows the small symbols as added.
"""
import json
from collections import defaultdict

from nnbuild.errors import UserError

MEMORIES = {"flash": "flash", "ram": "RAM"}


def check_size_report(path, what):
    """UserError unless `path` is a size.json written by nnbuild (`what` names where it was given)."""
    try:
        with open(path) as f:
            report = json.load(f)
    except OSError as e:
        raise UserError(f"{what}={path}: cannot read it ({e.strerror}); give the size.json of an "
                        "earlier build (build/<target>/<runtime>/<model>/size.json).") from None
    except ValueError as e:
        raise UserError(f"{what}={path}: not JSON ({e}); give the size.json of an earlier build "
                        "(build/<target>/<runtime>/<model>/size.json).") from None
    parts = ("total", "components", "sections")
    if not (isinstance(report, dict) and "symbols" in report and
            all(isinstance(report.get(m), dict) and all(p in report[m] for p in parts) for m in MEMORIES)):
        raise UserError(f"{what}={path}: a JSON file but not an nnbuild size report (it needs 'flash' "
                        f"and 'ram' with {', '.join(parts)}, and 'symbols'); give the size.json of an "
                        "earlier build (build/<target>/<runtime>/<model>/size.json).")


def _row(old, new, **key):
    change = new - old
    return {**key, "old": old, "new": new, "change": change,
            "percent": 100 * change / old if old else None}


def _changes(old, new, key_names):
    """Rows for the keys whose bytes differ, the largest change first."""
    rows = [_row(old.get(key, 0), new.get(key, 0), **dict(zip(key_names, key)))
            for key in old.keys() | new.keys()]
    return sorted((row for row in rows if row["change"]),
                  key=lambda row: (-abs(row["change"]), [row[k] for k in key_names]))


def _symbol_bytes(report, memory):
    sections, sizes = report[memory]["sections"], defaultdict(int)
    for component, symbols in report["symbols"].items():
        for symbol in symbols:
            if symbol["section"] in sections:
                sizes[component, symbol["name"]] += symbol["size"]
    return sizes


def diff_reports(old, new):
    """{memory: {"total": row, "budget": new's budget, "components": [rows], "symbols": [rows]}}.

    A row is {"old", "new", "change", "percent"} plus its key ("component", and
    "name" for a symbol); percent is the change relative to old, None for an
    added row. Only rows that changed are listed, the largest change first.
    """
    diff = {}
    for memory in MEMORIES:
        components = [{(name,): size for name, size in report[memory]["components"].items()}
                      for report in (old, new)]
        diff[memory] = {
            "total": _row(old[memory]["total"], new[memory]["total"]),
            "budget": new[memory]["budget"],
            "components": _changes(*components, ["component"]),
            "symbols": _changes(_symbol_bytes(old, memory), _symbol_bytes(new, memory),
                                ["component", "name"]),
        }
    return diff


WIDTH = 100
_NUMBERS = "{:>9}  {:>7}  {:>9}  {:>9}  "  # change, %, old, new


def _percent(row):
    if row["old"] == 0:
        return "[NEW]"
    return "[DEL]" if row["new"] == 0 else f"{row['percent']:+.1f}%"


def _line(row, *names):
    text = _NUMBERS.format(f"{row['change']:+d}", _percent(row), row["old"], row["new"]) + "  ".join(names)
    return text if len(text) <= WIDTH else text[:WIDTH - 3] + "..."


def _total_line(label, total, budget):
    return f"{label}: {total['change']:+d} B ({_percent(total)}), {total['old']} -> {total['new']} B{budget}"


def format_changed_totals(diff):
    """One line per memory whose total changed (the per-build note), e.g. 'RAM: +16 B (+0.2%), ...'."""
    return [_total_line(label, diff[memory]["total"], "") for memory, label in MEMORIES.items()
            if diff[memory]["total"]["change"]]


def format_size_diff(diff, max_symbols=30):
    """Text tables of the changes, at most WIDTH columns wide: per memory, its
    components with the total, then its max_symbols largest symbol changes."""
    lines = []
    for memory, label in MEMORIES.items():
        d, total = diff[memory], diff[memory]["total"]
        budget = "" if d["budget"] is None else f" (budget {d['budget']} B)"
        if not total["change"] and not d["components"] and not d["symbols"]:
            lines += [f"{label}: unchanged, {total['new']} B{budget}", ""]
            continue
        lines.append(_total_line(label, total, budget))
        header = _NUMBERS.format("change", "%", "old", "new")
        lines.append(header + "component")
        lines += [_line(row, row["component"]) for row in d["components"]]
        lines += [_line(total, "total"), ""]
        if d["symbols"]:
            width = max(len(row["component"]) for row in d["symbols"] + [{"component": "component"}])
            lines.append(header + f"{'component':<{width}}  symbol")
            lines += [_line(row, f"{row['component']:<{width}}", row["name"])
                      for row in d["symbols"][:max_symbols]]
            rest = d["symbols"][max_symbols:]
            if rest:
                lines.append(f"... {len(rest)} smaller symbol changes, "
                             f"{sum(row['change'] for row in rest):+d} B together")
            lines.append("")
    return "\n".join(lines)
