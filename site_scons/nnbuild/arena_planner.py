"""Static memory planning: every activation tensor gets an offset in one arena."""

import random
from dataclasses import dataclass

ALIGNMENT = 8  # enough for every activation type the kernels read (int8, int16, int32)
SEARCH_WORK = 40000  # buffers x shuffled orders tried, at most, when the first orders stay above the bound


@dataclass
class Buffer:
    tensors: list   # tensor indices sharing this memory (a tensor and its reshaped aliases);
                    # the scratch of operator i's kernel has the index len(graph.tensors) + i
    size: int
    first: int      # first step at which the buffer holds live data
    last: int       # last step that reads it
    offset: int = 0


@dataclass
class ArenaPlan:
    offsets: dict   # tensor index -> byte offset
    size: int       # arena bytes (aligned)
    lower_bound: int  # largest total of live tensor bytes at any step, every tensor in its own memory
    bound: int        # the same for this plan's buffers: below lower_bound where ops run in place
    buffers: list
    scratch: dict = None  # operator index -> byte offset of its kernel's scratch
    in_place: list = None  # the operators (indices) that write their output over their input


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


@dataclass(frozen=True)
class InPlace:
    """An op that can write its output over one of its inputs (the first of `inputs` that dies
    at the op), with `scratch` bytes of its own when it does: the caller has checked that the
    kernel is safe so; the planner checks that nothing reads the input afterwards."""
    step: int  # the operator's index
    output: int
    inputs: tuple
    scratch: int = 0


def _groups(graph, aliases):
    """{root tensor: [tensor indices sharing its memory]} of the non-constant tensors."""
    owner = {t.index: t.index for t in graph.tensors if not t.is_constant}
    for alias, source in aliases:
        owner[alias] = owner[source]
    groups = {}
    for index, root in owner.items():
        groups.setdefault(root, []).append(index)
    return groups


def _lifetime(graph, indices):
    """(first step writing or reading any of `indices`, last step reading one), graph inputs
    alive from step 0 and outputs to the end; None where nothing does."""
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
        last = len(graph.operators) - 1
    return first, last


def _buffers(graph, groups, scratch):
    buffers = []
    for root, indices in sorted(groups.items()):
        first, last = _lifetime(graph, set(indices))
        if first is None or last is None:
            continue  # a tensor nothing reads or writes needs no memory
        size = max(graph.tensors[i].nbytes for i in indices)
        buffers.append(Buffer(tensors=sorted(indices), size=size, first=first, last=max(first, last)))
    position = _positions(graph)
    return buffers + [Buffer(tensors=[len(graph.tensors) + index], size=size, first=position[index],
                             last=position[index]) for index, size in sorted(scratch.items()) if size]


def _positions(graph):
    """{operator index: its step}: a graph may run fewer operators than its model has (folded, fused)."""
    return {op.index: step for step, op in enumerate(graph.operators)}


def _bound(buffers, steps):
    """The most bytes alive at any step, each buffer at the alignment every offset keeps:
    no plan of these buffers can do with less."""
    return max((sum(_align(b.size) for b in buffers if b.first <= step <= b.last) for step in range(steps)),
               default=0)


def _merge_in_place(graph, groups, in_place, scratch):
    """Each InPlace op whose input dies at it (no later step, alias or graph output reads it) joins
    its output's memory to the input's. Returns the new groups, scratch and the steps done in place."""
    groups = {root: list(indices) for root, indices in groups.items()}
    root_of = {i: root for root, indices in groups.items() for i in indices}
    scratch, done, position = dict(scratch), [], _positions(graph)
    for candidate in sorted(in_place, key=lambda c: c.step):
        out_root = root_of.get(candidate.output)
        for source in candidate.inputs:
            root = root_of.get(source)
            if root is None or root == out_root:
                continue
            _, last = _lifetime(graph, set(groups[root]))
            if last != position[candidate.step] or candidate.output in graph.inputs:
                continue
            for moved in groups.pop(out_root):  # the output and its aliases
                groups[root].append(moved)
                root_of[moved] = root
            if candidate.scratch:
                scratch[candidate.step] = scratch.get(candidate.step, 0) + candidate.scratch
            done.append(candidate.step)
            break
    return groups, scratch, done


def _place(buffers, lower_bound):
    """Offsets for `buffers`: returns (arena end, {id(buffer): offset})."""
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
    return best


def lower_bound(graph, aliases=(), scratch=None):
    """The tensor-level lower bound: the most bytes alive at any step, every tensor (but aliases)
    in memory of its own; `aliases` and `scratch` as plan_arena takes them."""
    scratch = {step: size for step, size in (scratch or {}).items() if size}
    return _bound(_buffers(graph, _groups(graph, aliases), scratch), len(graph.operators))


def _internal_groups(graph, aliases, external):
    """_groups without those holding an `external` tensor (memory the caller owns)."""
    return {root: indices for root, indices in _groups(graph, aliases).items() if not set(indices) & set(external)}


def in_place_bound(graph, aliases=(), scratch=None, in_place=(), external=()):
    """The bound of the buffers plan_arena would place with every InPlace op `in_place` merged:
    what a plan of them needs at least, without placing them."""
    scratch = {step: size for step, size in (scratch or {}).items() if size}
    groups, scratch, _ = _merge_in_place(graph, _internal_groups(graph, aliases, external), in_place, scratch)
    return _bound(_buffers(graph, groups, scratch), len(graph.operators))


def plan_arena(graph, aliases=(), scratch=None, in_place=(), external=()):
    """Place the graph's non-constant tensors; `aliases` are (tensor, source tensor) pairs
    that share memory, such as the output and input of a RESHAPE; `scratch` maps an operator's
    index to the bytes its kernel needs for itself while it runs, placed like a tensor alive at
    that step only; `in_place` lists the InPlace ops that may write over
    their input. The in-place plan is kept only where it is the smaller. Tensors `external` (and
    their aliases) are not placed: the caller's memory holds them, which nothing writes over."""
    steps = len(graph.operators)
    groups = _internal_groups(graph, aliases, external)
    scratch = {step: size for step, size in (scratch or {}).items() if size}
    buffers = _buffers(graph, groups, scratch)
    bound = _bound(buffers, steps)
    best, done = (_place(buffers, bound), buffers), []
    merged_groups, merged_scratch, merged = _merge_in_place(graph, groups, in_place, scratch)
    if merged:
        merged_buffers = _buffers(graph, merged_groups, merged_scratch)
        placed = _place(merged_buffers, _bound(merged_buffers, steps))
        if placed[0] < best[0][0]:
            best, done, scratch = (placed, merged_buffers), merged, merged_scratch
    (_, offsets_by_buffer), buffers = best
    for b in buffers:
        b.offset = offsets_by_buffer[id(b)]

    size = _align(max((b.offset + b.size for b in buffers), default=0))
    offsets = {i: b.offset for b in buffers for i in b.tensors}
    return ArenaPlan(offsets=offsets, size=size, lower_bound=bound, bound=_bound(buffers, steps),
                     buffers=buffers, scratch={step: offsets[len(graph.tensors) + step] for step in scratch},
                     in_place=done)
