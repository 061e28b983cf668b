"""The block printed at the end of a build: firmware, sizes, arena, verification."""

import os

from nnbuild.files import read_report
from nnbuild.fleet_report import write_fleet_report


def _kib(n):
    return f"{n / 1024:.1f} KiB"


def _used(part):
    budget = part.get("budget")
    return _kib(part["total"]) + (f" / {_kib(budget)} budget" if budget else "")


def summary_lines(result):
    size = read_report(os.path.join(result.folder, "size.json"))
    verify = read_report(os.path.join(result.folder, "verify.json")) if result.verified else None
    firmware = result.deployable
    lines = [f"{result.target.name} ({result.toolchain}): {firmware}"
             + (f" ({_kib(os.path.getsize(firmware))})" if os.path.exists(firmware) else "")]
    if size:
        arena = size["arena"]
        lines.append(f"  flash {_used(size['flash'])}, RAM {_used(size['ram'])}")
        if size.get("regions"):
            lines.append("  memory: " + ", ".join(f"{name} {_kib(r['used'])} / {_kib(r['length'])}"
                                                  for name, r in size["regions"].items() if r["used"]))
        if size.get("shared_libraries"):
            libraries = size["shared_libraries"]
            lines.append(f"  plus shared libraries loaded at run time: {_kib(sum(libraries.values()))} "
                         f"({', '.join(libraries)})")
        bounds = [f"{what} {arena[key]} B" for key, what in (("lower_bound", "lower bound"), ("tflm", "TFLite Micro"))
                  if arena.get(key) is not None]
        if "method_pool" in arena:
            bounds.append(f"+ method pool {arena['method_pool']} B")
        lines.append(f"  arena {arena['bytes']} B" + (f" ({', '.join(bounds)})" if bounds else ""))
    lines += [f"  {note}" for note in result.notes]
    if verify:
        lines.append(f"  verify: {result.runtime.verify_summary(verify)}")
    elif result.verified:
        lines.append("  verify: no verify.json (the step did not run)")
    else:
        lines.append("  verify: not run (verify=0)")
    return lines


def print_summary(results, get_build_failures):
    if get_build_failures():
        return
    print("\n".join(line for r in results for line in summary_lines(r)))


def report_fleet(folder, results, get_build_failures, earlier=""):
    """The fleet report of a project build (fleet_report.py), and one line on it."""
    rows = write_fleet_report(folder, results, get_build_failures(), earlier)
    problems = [r for r in rows if not r["ok"]]
    folder = os.path.abspath(folder)
    print(f"fleet: {len(rows)} firmware, {len(problems) or 'none'} with problems"
          + "".join(f"\n  {r['model']} on {r['board']} ({r['runtime']}): {', '.join(r['failed'] + r['over_budget'])}"
                    f"{'' if r['failed'] or r['over_budget'] else r['verify']}" for r in problems)
          + f"\n  report: {folder}/fleet.html, {folder}/fleet.json, {folder}/fleet.md")
