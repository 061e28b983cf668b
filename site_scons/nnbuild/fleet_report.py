"""The fleet report of a project build (project=): one row per model x board x runtime.

Written after every build, failed ones too (a failed row says which step failed):
fleet.json (the rows), fleet.html (one self-contained page, each row linking to its
size.html) and fleet.md (the table, for a pull request comment), in the project's build
folder. Each row is compared with the same row of an earlier report: compare=, else the
fleet.json this build replaces.
"""

import html
import json
import os

from nnbuild.files import read_report, write_atomically

COMPARED = ("flash", "ram", "arena", "instructions", "accuracy")


def _model_of(result):
    return os.path.basename(result.folder)


def _failed_steps(result, failures):
    """The steps of this firmware that failed: the names of their outputs' files."""
    prefix = os.path.abspath(result.folder) + os.sep  # SCons names a node outside the checkout absolutely
    return sorted({os.path.basename(str(f.node)) for f in failures
                   if os.path.abspath(str(f.node)).startswith(prefix)})


def fleet_row(result, failures, report_folder):
    """What the report shows of one firmware: sizes, budgets, arena, instructions, accuracy, verification
    (paths relative to the report's folder)."""
    folder = result.folder
    over = read_report(os.path.join(folder, "size.over_budget.json"))
    size = over or read_report(os.path.join(folder, "size.json"))
    verify = read_report(os.path.join(folder, "verify.json")) if result.verified else None
    profile = read_report(os.path.join(folder, "profile.json"))
    # A size step that fails on a budget wrote size.over_budget.json: that is the overrun, not a failure.
    failed = [s for s in _failed_steps(result, failures) if not (over and s == "size.json")]
    row = {"model": _model_of(result), "board": result.target.name, "runtime": result.runtime.name,
           "firmware": os.path.relpath(result.deployable, report_folder),
           "size_html": os.path.relpath(os.path.join(folder, "size.html"), report_folder) if size and not over
           else None,
           "flash": None, "ram": None, "flash_budget": None, "ram_budget": None, "arena": None,
           "instructions": profile["instructions"] if profile else None,
           "accuracy": verify.get("accuracy") if verify else None,
           "verify": ("bit-exact" if verify["bit_exact"] else f"{verify['mismatches']} mismatches") if verify
           else ("failed" if "verify.json" in failed else "not run"),
           "over_budget": [m for m in ("flash", "ram") if over and over[m]["budget"] is not None
                           and over[m]["total"] > over[m]["budget"]],
           "failed": failed}
    if size:
        for memory in ("flash", "ram"):
            row[memory], row[f"{memory}_budget"] = size[memory]["total"], size[memory].get("budget")
        row["arena"] = size["arena"]["bytes"]
    row["ok"] = not failed and not row["over_budget"] and row["verify"] in ("bit-exact", "not run")
    return row


def _key(row):
    return row["model"], row["board"], row["runtime"]


def compare(rows, earlier):
    """Each row gains `change`: {field: this minus the earlier report's}, and `new` when it had none."""
    before = {_key(r): r for r in (earlier or {}).get("rows", [])}
    for row in rows:
        old = before.get(_key(row))
        row["new"] = old is None
        row["change"] = {f: row[f] - old[f] for f in COMPARED
                         if old and row[f] is not None and old.get(f) is not None}
    return rows


def write_fleet_report(folder, results, failures, earlier_path=""):
    """fleet.json, fleet.html and fleet.md in `folder`; returns the rows."""
    earlier = read_report(earlier_path or os.path.join(folder, "fleet.json"))
    rows = compare([fleet_row(r, failures, folder) for r in results], earlier)
    compared = (os.path.abspath(earlier_path) if earlier_path else "the previous build") if earlier else None
    report = {"compared_with": compared, "ok": all(r["ok"] for r in rows), "rows": rows}
    os.makedirs(folder, exist_ok=True)
    write_atomically(os.path.join(folder, "fleet.json"), json.dumps(report, indent=2) + "\n")
    write_atomically(os.path.join(folder, "fleet.md"), markdown_table(report) + "\n")
    write_atomically(os.path.join(folder, "fleet.html"), html_page(report))
    return rows


def _size(n, sign=""):
    if n is None:
        return "-"
    return f"{n / 1024:{sign}.1f} KiB" if abs(n) < 1 << 20 else f"{n / (1 << 20):{sign}.1f} MiB"


def _headroom(row, memory):
    budget = row[f"{memory}_budget"]
    return "-" if budget is None or row[memory] is None else _size(budget - row[memory], "+")


def _change(row, field):
    if row["new"]:
        return "new"
    delta = row["change"].get(field)
    if not delta:
        return ""
    if field == "accuracy":
        return f"{delta:+.3f}"
    return f"{delta:+,}" + (" B" if field != "instructions" else "")


def _status(row):
    if row["failed"]:
        return "FAILED: " + ", ".join(row["failed"])
    if row["over_budget"]:
        return "OVER BUDGET: " + ", ".join(row["over_budget"])
    return "ok"


def _cells(row):
    """(column, text) of a row, as both the Markdown table and the page show it."""
    instructions = "-" if row["instructions"] is None else f"{row['instructions']:,}"
    accuracy = "-" if row["accuracy"] is None else f"{row['accuracy']:.3f}"
    return [("model", row["model"]), ("board", row["board"]), ("runtime", row["runtime"]),
            ("flash", _size(row["flash"])), ("flash headroom", _headroom(row, "flash")),
            ("RAM", _size(row["ram"])), ("RAM headroom", _headroom(row, "ram")),
            ("arena", "-" if row["arena"] is None else f"{row['arena']:,} B"),
            ("instructions / inference", instructions), ("accuracy", accuracy), ("verify", row["verify"]),
            ("status", _status(row)),
            ("change", "; ".join(f"{f} {c}" if c != "new" else c
                                 for f in COMPARED for c in [_change(row, f)] if c)
             if not row["new"] else "new")]


def markdown_table(report):
    rows = report["rows"]
    header = [name for name, _ in _cells(rows[0])] if rows else []
    lines = [f"nnbuild fleet: {len(rows)} firmware, {sum(not r['ok'] for r in rows)} with problems"
             + (f" (change against {report['compared_with']})" if report["compared_with"] else ""), "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(text for _, text in _cells(r)) + " |" for r in rows]
    return "\n".join(lines)


_STYLE = """body{font:14px system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}th,td{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}
th{background:#f4f4f4}td:nth-child(-n+3),th:nth-child(-n+3){text-align:left}
tr.bad{background:#fde8e8}td.change{color:#555;font-size:12px}"""


def html_page(report):
    """One page, no external files: the fleet table, each model's cell linking to its size.html."""
    rows = report["rows"]
    problems = sum(not r["ok"] for r in rows)
    body = []
    for row in rows:
        cells = []
        for name, text in _cells(row):
            text = html.escape(text)
            if name == "model" and row["size_html"]:
                text = f'<a href="{html.escape(row["size_html"])}">{text}</a>'
            cells.append(f'<td class="{"change" if name == "change" else ""}">{text}</td>')
        body.append(f'<tr class="{"" if row["ok"] else "bad"}">{"".join(cells)}</tr>')
    header = "".join(f"<th>{html.escape(name)}</th>" for name, _ in _cells(rows[0])) if rows else ""
    compared = (f"<p>Change against {html.escape(report['compared_with'])}.</p>" if report["compared_with"]
                else "<p>No earlier report to compare with.</p>")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>nnbuild fleet</title>"
            f"<style>{_STYLE}</style></head><body>\n<h1>nnbuild fleet: {len(rows)} firmware, "
            f"{problems} with problems</h1>\n{compared}\n<table><tr>{header}</tr>\n" + "\n".join(body)
            + "\n</table></body></html>\n")
