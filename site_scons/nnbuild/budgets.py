"""Flash and RAM budgets: the target's, tightened by the model's and the command line's."""

import re

from nnbuild.errors import UserError

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
          "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}


def parse_bytes(text, what):
    """'64K', '1M', '2G', '65536', '512KiB' -> bytes; UserError naming `what` otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", str(text))
    if not match or match.group(2).lower() not in _UNITS:
        raise UserError(f"{what}={text}: expected a size such as 65536, 64K or 1M.")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def effective_budgets(target, model_name, model_config, options):
    """{memory: {"bytes": B or None, "from": where it was set}}: the smallest of the target's,
    model.toml's [budget], the project's nnbuild.toml and the flash_budget=/ram_budget= options."""
    result = {}
    for memory in ("flash", "ram"):
        candidates = []
        if target.budget.get(memory):
            candidates.append((int(target.budget[memory]), f"target {target.name}"))
        if model_config.get("budget", {}).get(memory):
            candidates.append((parse_bytes(model_config["budget"][memory], f"model.toml [budget] {memory}"),
                               "the model's model.toml"))
        if options.get("project"):
            candidates += options["project"].budgets(model_name, target.name, memory)
        if options.get(f"{memory}_budget"):
            candidates.append((parse_bytes(options[f"{memory}_budget"], f"{memory}_budget"),
                               f"{memory}_budget={options[f'{memory}_budget']}"))
        bytes_, origin = min(candidates) if candidates else (None, None)
        result[memory] = {"bytes": bytes_, "from": origin}
    return result


def _kib(n):
    return f"{n / 1024:.1f} KiB"


def overshoot(report, memory, origin):
    """A sentence on how far `memory` is over its budget and what is largest, or None."""
    part = report[memory]
    if part["budget"] is None or part["total"] <= part["budget"]:
        return None
    largest = sorted(part["components"].items(), key=lambda kv: -kv[1])[:3]
    listed = ", ".join(f"{name} {_kib(size)}" for name, size in largest)
    return (f"{memory} {_kib(part['total'])} is over the {memory} budget of {_kib(part['budget'])} "
            f"(set by {origin}) by {_kib(part['total'] - part['budget'])}; the largest components: {listed}.")
