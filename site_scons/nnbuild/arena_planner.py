"""Static memory planning: every activation tensor gets an offset in one arena."""

import random
from dataclasses import dataclass

ALIGNMENT = 8  # enough for every activation type the kernels read (int8, int16, int32)
SEARCH_WORK = 40000  # buffers x shuffled orders tried, at most, when the first orders stay above the bound


@dataclass
class Buffer:
    tensors: list   # tensor indices sharing this memory (a tensor and its reshaped aliases);
                    # a kernel's scratch at step s has the index len(graph.tensors) + s
    size: int
    first: int      # first step at which the buffer holds live data
    last: int       # last step that reads it
    offset: int = 0


@dataclass
class ArenaPlan:
    offsets: dict   # tensor index -> byte offset
    size: int       # arena bytes (aligned)
    lower_bound: int  # largest total of live tensor bytes at any step
    buffers: list
    scratch: dict = None  # step -> byte offset of its kernel's scratch


def _align(n):
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _first_fit(ordered):
    """Place buffers in the given order; returns (arena end, {id(buffer): offset})."""
    placed, offsets = [], {}
    for b in ordered:
        overlapping = sorted((p for p in placed if not (p.last < b.first or b.last < p.first)),
                             key=lambda p: offsets[id(p)])
        offset = 0
        for p in overlapping:
            if offset + b.size <= offsets[id(p)]:
                break
            offset = max(offset, _align(offsets[id(p)] + p.size))
        offsets[id(b)] = offset
        placed.append(b)
    return max((offsets[id(b)] + b.size for b in ordered), default=0), offsets


def _lowest_first(buffers):
    """Place, one at a time, the buffer that fits lowest (the largest on a tie): where sizes
    and lifetimes interleave (split, concatenation, shuffle), this leaves fewer holes than
    any fixed order. Returns what _first_fit returns."""
    placed, offsets, todo = [], {}, list(buffers)
    while todo:
        def fit(b):
            offset = 0
            for p in sorted((p for p in placed if not (p.last < b.first or b.last < p.first)),
                            key=lambda p: offsets[id(p)]):
                if offset + b.size <= offsets[id(p)]:
                    break
                offset = max(offset, _align(offsets[id(p)] + p.size))
            return offset
        offset, b = min(((fit(b), b) for b in todo), key=lambda ob: (ob[0], -ob[1].size, ob[1].tensors[0]))
        offsets[id(b)] = offset
        placed.append(b)
        todo.remove(b)
    return max((offsets[id(b)] + b.size for b in buffers), default=0), offsets


def plan_arena(graph, aliases=(), scratch=None):
    """Place the graph's non-constant tensors; `aliases` are (tensor, source tensor) pairs
    that share memory, such as the output and input of a RESHAPE; `scratch` maps a step
    (operator index) to the bytes its kernel needs for itself while it runs, placed like a
    tensor alive at that step only."""
    owner = {}
    for t in graph.tensors:
        if not t.is_constant:
            owner[t.index] = t.index
    for alias, source in aliases:
        owner[alias] = owner[source]

    last_step = len(graph.operators) - 1
    groups = {}
    for index, root in owner.items():
        groups.setdefault(root, []).append(index)

    def lifetime(indices):
        first, last = None, None
        for step, op in enumerate(graph.operators):
            if any(i in indices for i in op.outputs):
                first = step if first is None else min(first, step)
            if any(i in indices for i in op.inputs):
                last = step
                first = step if first is None else first
        if any(i in graph.inputs for i in indices):
            first = 0
        if any(i in graph.outputs for i in indices):
            last = last_step
        return first, last

    buffers = []
    for root, indices in sorted(groups.items()):
        first, last = lifetime(set(indices))
        if first is None or last is None:
            continue  # a tensor nothing reads or writes needs no memory
        size = max(graph.tensors[i].nbytes for i in indices)
        buffers.append(Buffer(tensors=sorted(indices), size=size, first=first, last=max(first, last)))
    scratch = {step: size for step, size in (scratch or {}).items() if size}
    buffers += [Buffer(tensors=[len(graph.tensors) + step], size=size, first=step, last=step)
                for step, size in sorted(scratch.items())]

    # The most bytes alive at any step, each buffer at the alignment every offset keeps:
    # no plan can do with less.
    lower_bound = 0
    for step in range(last_step + 1):
        live = sum(_align(b.size) for b in buffers if b.first <= step <= b.last)
        lower_bound = max(lower_bound, live)

    # First fit: each buffer at the lowest offset that does not collide with an
    # already placed buffer alive at the same time. The order decides the result,
    # so several orders are tried and the smallest arena kept (TFLM's
    # GreedyMemoryPlanner uses the first order only).
    orders = [
        lambda b: (-b.size, b.first, b.tensors[0]),
        lambda b: (b.first, -b.size, b.tensors[0]),
        lambda b: (-(b.last - b.first), -b.size, b.tensors[0]),
        lambda b: (-b.size * (b.last - b.first + 1), b.first, b.tensors[0]),
    ]
    candidates = [sorted(buffers, key=order) for order in orders]
    best = min((_first_fit(c) for c in candidates), key=lambda placed: placed[0])
    if best[0] > lower_bound:
        best = min(best, _lowest_first(buffers), key=lambda placed: placed[0])
    # Above the lower bound still (split, concatenation and shuffle graphs interleave sizes and
    # lifetimes): first fit in shuffled orders, seeded so that a plan never depends on the run,
    # until one meets the bound. A few dozen usually do.
    rng = random.Random(0)
    for _ in range(SEARCH_WORK // max(1, len(buffers)) if best[0] > lower_bound else 0):
        order = list(candidates[0])
        rng.shuffle(order)
        tried = _first_fit(order)
        if tried[0] < best[0]:
            best = tried
            if best[0] <= lower_bound:
                break
    for b in buffers:
        b.offset = best[1][id(b)]

    size = _align(max((b.offset + b.size for b in buffers), default=0))
    offsets = {i: b.offset for b in buffers for i in b.tensors}
    return ArenaPlan(offsets=offsets, size=size, lower_bound=lower_bound, buffers=buffers,
                     scratch={step: offsets[len(graph.tensors) + step] for step in scratch})
