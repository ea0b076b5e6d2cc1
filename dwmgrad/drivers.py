"""The three drivers that run an optimizer's per-tensor math over its parameters.

Every optimizer writes its update once, as a function ``update(p, g, *state, **coefficients)``
of one parameter tensor, its gradient and its state tensors (in place), in the vocabulary of
:mod:`dwmgrad.tensor_list`. A driver runs it over parallel lists (``lists[0]`` the
parameters, ``lists[1]`` their gradients, then one list per state key):

- ``forloop`` (the reference): one call per tensor.
- ``foreach``: one call per block of tensors wrapped in :class:`TensorList`, so each
  operation is one ``torch._foreach_*`` call over the block. Lists are grouped by device and
  dtype first (torch.optim's grouping, :func:`group_by_device_and_dtype`); on CPU a block
  holds at most :func:`cpu_block_numel` elements per list, large tensors cut into flat
  pieces (:func:`cache_blocks`), so that the sequence of ops revisits a working set that
  stays in cache.
- ``fused``: the for-loop driver compiled by ``torch.compile`` (TorchInductor), which fuses
  each tensor's update into one pass over memory. Every float coefficient is passed as a
  tensor and every 0-d tensor as a shape-(1,) view: floats would be burnt into the graph (a
  new learning rate would recompile), and inductor reads 0-d inputs on the host and (torch
  2.13, CPU) silently drops in-place updates of 0-d float64 inputs. The graph depends on the
  number, shapes and dtypes of the tensors and on the non-float options, so stepping the
  same parameters again never recompiles. Each optimizer's compiled driver is a function of
  its own (its own code object), so dynamo's recompile limit, which counts graphs per code
  object, is not shared between optimizers.

``per_tensor`` computes the 0-d coefficients each tensor's update needs from its 0-d state
(the bias corrections of its step counter), once per step and outside the update's compiled
kernel (on the fused path in a compiled kernel of its own): inside it, inductor recomputed
them (``expm1``, ``sqrt``, a division) in every vector iteration of the elementwise loop (the
C++ compiler cannot hoist them: their inputs may alias the buffers the loop writes). The
coefficients are passed to ``run`` as lists, one 0-d tensor per parameter, which the compiled
update reads as inputs (so no recompilation). For the same reason the update divides by
per-tensor coefficients nowhere: a division by a coefficient is written as a multiplication
by its reciprocal, computed here (a vector division costs several times a multiplication).

``reduce`` runs a per-tensor function that returns sums (one per problem instance) and adds
them up over all tensors, on any of the three paths (AdaptiveHB's norms over all
parameters). ``per_layer`` runs a per-tensor function that returns values of each tensor
(e.g. coefficients from sums over the tensor, Aida's projections) and returns them per tensor,
like ``per_tensor``; compiled, those values are outputs of the kernel, computed once per
tensor: read from a reduction inside the update's kernel, inductor recomputed them in every
vector iteration of the elementwise loop (Aida's four float64 divisions per tensor).

``call_step`` runs an optimizer's whole step, written once as a function over these drivers:
eagerly on the for-loop and foreach paths, and on the fused path as one compiled graph (the
0-d prelude, the reductions and every tensor's update in one compiled call: each compiled
call costs tens of microseconds of guards and wrappers, and each eager 0-d op a few). DWMGrad,
AdaptiveHB, AdamAHB and Aida step this way; their per-tensor coefficients are outputs of the
graph, so inductor stores them once instead of recomputing them in the loops.

The default path (``foreach=None, fused=None``) is the fastest uncompiled path measured on
the device's kind by ``dwmgrad-verify bench optimizers`` (``--defaults-out``), committed in
``default_paths.json``: it is read, never timed, at run time, so results stay byte-identical.
"""

from __future__ import annotations

import functools
import json
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import resources
from typing import Any

import torch
from torch import Tensor

from dwmgrad.tensor_list import TensorList

__all__ = [
    "CPU_BLOCK_NUMEL",
    "CPU_BLOCK_NUMEL_PER_THREAD",
    "PATHS",
    "cache_blocks",
    "call_step",
    "cpu_block_numel",
    "default_path",
    "group_by_device_and_dtype",
    "per_layer",
    "per_tensor",
    "reduce",
    "run",
    "scalar_dtype",
]

PATHS = ("forloop", "foreach", "fused")

Update = Callable[..., Any]

CPU_BLOCK_NUMEL = 1 << 15
"""Elements per list in a CPU block when torch runs single-threaded (128 KiB of float32)."""
CPU_BLOCK_NUMEL_PER_THREAD = 1 << 18
"""Elements per list and per thread in a CPU block when torch runs multi-threaded."""


def scalar_dtype(*dtypes: torch.dtype) -> torch.dtype:
    """Dtype for counters and coefficients: the widest of the given floating dtypes and float32."""
    out = torch.float32
    for d in dtypes:
        out = torch.promote_types(out, d)
    return out


def cpu_block_numel(threads: int | None = None) -> int:
    """The CPU block size for ``threads`` torch threads (default: the current count).

    Single-threaded, a block of ``CPU_BLOCK_NUMEL`` elements per list keeps the working set
    of one step's sequence of ops (θ, g, state and temporaries) in the core's L2 cache. With
    several threads every op on a block is a parallel region whose fork/join cost outweighs
    that gain on small blocks, so blocks get ``CPU_BLOCK_NUMEL_PER_THREAD`` elements per
    thread. Both sizes were chosen with ``dwmgrad-verify bench blocks``, which times other
    sizes on the machine at hand (an optimizer's ``cpu_block_numel`` attribute overrides it).
    """
    threads = torch.get_num_threads() if threads is None else threads
    return CPU_BLOCK_NUMEL if threads == 1 else CPU_BLOCK_NUMEL_PER_THREAD * threads


def group_by_device_and_dtype(
    lists: Sequence[list[Tensor]],
) -> Iterator[tuple[torch.device, list[list[Tensor]]]]:
    """Parallel lists split by the (device, dtype) of ``lists[0]``'s tensors, order kept
    within each group (the semantics of torch.optim's ``_group_tensors_by_device_and_dtype``,
    written with public API only)."""
    for (device, _), indices in _index_groups(lists[0]).items():
        yield device, [[lst[i] for i in indices] for lst in lists]


def _index_groups(tensors: Sequence[Tensor]) -> dict[tuple[torch.device, torch.dtype], list[int]]:
    """Positions of ``tensors`` by (device, dtype), in order."""
    groups: dict[tuple[torch.device, torch.dtype], list[int]] = {}
    for index, t in enumerate(tensors):
        groups.setdefault((t.device, t.dtype), []).append(index)
    return groups


def cache_blocks(
    lists: list[list[Tensor]], device: torch.device, *, limit: int, split: bool = True
) -> Iterator[list[list[Tensor]]]:
    """Split parallel tensor lists (all of the same length) into consecutive blocks.

    On CPU a block holds at most ``limit`` elements per list: small tensors are grouped;
    with ``split`` a larger tensor is cut into flat views when the tensors at its position in
    every list are contiguous and of its size (an elementwise rule gives the same values on
    the pieces; a per-tensor step counter, 0-d, keeps its tensor whole, since it must advance
    once per tensor; pass ``split=False`` when a coefficient broadcasts over rows or the rule
    reduces over a tensor). Other devices get one block, as in torch.optim.
    """
    if device.type != "cpu":
        yield lists
        return
    block: list[list[Tensor]] = [[] for _ in lists]
    total = 0
    for column in zip(*lists, strict=True):
        size = column[0].numel()
        if split and size > limit and all(t.is_contiguous() and t.numel() == size
                                          for t in column):
            for pieces in zip(*(t.view(-1).split(limit) for t in column), strict=True):
                yield [[piece] for piece in pieces]
            continue
        if total and total + size > limit:
            yield block
            block, total = [[] for _ in lists], 0
        for out, t in zip(block, column, strict=True):
            out.append(t)
        total += size
    if block[0]:
        yield block


def _on(device: torch.device, coefficients: Mapping[str, Any]) -> dict[str, Any]:
    return {k: c.to(device) if isinstance(c, Tensor) else c for k, c in coefficients.items()}


def _forloop(update: Update, lists: Sequence[list[Tensor]], coefficients: Mapping[str, Any]
             ) -> None:
    for device, group in group_by_device_and_dtype(lists):
        coefs = _on(device, coefficients)
        for column in zip(*group, strict=True):
            update(*column, **coefs)


def _forloop_sum(part: Update, lists: Sequence[list[Tensor]], coefficients: Mapping[str, Any],
                 out: torch.device) -> list[Tensor]:
    totals: list[Tensor] | None = None
    for device, group in group_by_device_and_dtype(lists):
        coefs = _on(device, coefficients)
        for column in zip(*group, strict=True):
            parts = [x.to(out) for x in part(*column, **coefs)]
            totals = parts if totals is None else [a + b for a, b in zip(totals, parts,
                                                                         strict=True)]
    return totals if totals is not None else []


def _foreach(update: Update, lists: Sequence[list[Tensor]], coefficients: Mapping[str, Any], *,
             split: bool, block_numel: int) -> None:
    for device, group in group_by_device_and_dtype(lists):
        coefs = _on(device, coefficients)
        for block in cache_blocks(group, device, limit=block_numel, split=split):
            update(*(TensorList(b) for b in block), **coefs)


def _foreach_sum(part: Update, lists: Sequence[list[Tensor]], coefficients: Mapping[str, Any],
                 out: torch.device) -> list[Tensor]:
    totals: list[Tensor] | None = None
    for device, group in group_by_device_and_dtype(lists):
        coefs = _on(device, coefficients)
        parts = [torch.stack(x.tensors).sum(0).to(out)
                 for x in part(*(TensorList(lst) for lst in group), **coefs)]
        totals = parts if totals is None else [a + b for a, b in zip(totals, parts, strict=True)]
    return totals if totals is not None else []


def _forloop_map(part: Update, lists: Sequence[list[Tensor]], coefficients: Mapping[str, Any]
                 ) -> list[tuple[Tensor, ...]]:
    values: list[tuple[Tensor, ...]] = [()] * len(lists[0])
    for (device, _), indices in _index_groups(lists[0]).items():
        coefs = _on(device, coefficients)
        for index in indices:
            values[index] = tuple(part(*(lst[index] for lst in lists), **coefs))
    return values


def _foreach_map(part: Update, lists: Sequence[list[Tensor]], coefficients: Mapping[str, Any]
                 ) -> list[tuple[Tensor, ...]]:
    values: list[tuple[Tensor, ...]] = [()] * len(lists[0])
    for (device, _), indices in _index_groups(lists[0]).items():
        coefs = _on(device, coefficients)
        results = part(*(TensorList([lst[i] for i in indices]) for lst in lists), **coefs)
        for position, index in enumerate(indices):
            values[index] = tuple(x.tensors[position] for x in results)
    return values


def _own_copy(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``fn`` with a code object of its own (dynamo keeps its graphs per code object)."""
    code = fn.__code__.replace(co_name=name)
    return types.FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)


ONE_TENSOR_PER_LOOP: dict[str, str | int | bool | Callable[..., Any]] = {
    "score_fusion_memory_threshold": 1 << 16, "size_asserts": False}
"""TorchInductor option (listed by ``torch._inductor.list_options()``, passed through
``torch.compile(options=...)``) for the elementwise updates: two loops that do not feed each
other are fused only if they share at least 64 KiB of reads (inductor's default: 10 bytes).
On CPU inductor otherwise fused the loops of equally sized tensors pairwise, since they share
the coefficients' shape-(1,) inputs: one loop then reading and writing 14 streams (DWMGrad)
to 18 (AdamAHB), slower than one loop per tensor in interleaved timings on the 2-core machine
(issue 16). The loops that share a tensor still fuse: AdaptiveHB's and AdamAHB's
``g_prev <- g`` joins its tensor's update, which reads g too (with the option used before,
``cpp.max_horizontal_fusion_size = 1``, it ran in a loop of its own per tensor, reading g a
second time; generated code read with ``TORCH_LOGS=output_code``). Used by the elementwise
driver and :func:`call_step` (the separate reductions were not measured with it).
``size_asserts`` off: the compiled code otherwise checked every input's sizes and strides
again on each call (one Python call per tensor), which dynamo's guards have checked already."""


@functools.cache
def _compiled(update: Update, driver: Callable[..., Any]) -> Callable[..., Any]:
    """``driver`` for ``update``, compiled once per (update, driver) on first use, for static
    shapes: after a second shape dynamo would otherwise recompile with dynamic shapes, and
    Inductor 2.13 then failed on Aida's per-instance reductions (KeyError 'buf3' in the slow
    suite when other tests had compiled other shapes first). The elementwise driver compiles
    with :data:`ONE_TENSOR_PER_LOOP`."""
    options = ONE_TENSOR_PER_LOOP if driver in (_forloop, _whole_step) else None
    return torch.compile(_own_copy(driver, f"compiled_{update.__name__}"), dynamic=False,
                         options=options)


def _compile_ready(lists: Sequence[list[Tensor]], coefficients: Mapping[str, Any]
                   ) -> tuple[list[list[Tensor]], dict[str, Any]]:
    """0-d tensors as shape-(1,) views and float coefficients as shape-(1,) tensors (of the
    parameters' scalar dtype, on their device)."""
    first = lists[0][0]
    dtype = scalar_dtype(first.dtype)

    def ready(c: Any) -> Any:
        if isinstance(c, float):
            return torch.full((1,), c, dtype=dtype, device=first.device)
        if isinstance(c, Tensor) and c.dim() == 0:
            return c.view(1)
        return c

    return ([[t.view(1) if t.dim() == 0 else t for t in lst] for lst in lists],
            {k: ready(c) for k, c in coefficients.items()})


def _compile_ready_nest(x: Any, dtype: torch.dtype, device: torch.device) -> Any:
    """:func:`_compile_ready` for a nest of lists, tuples and dicts: floats as shape-(1,)
    tensors, 0-d tensors as shape-(1,) views, anything else as it is."""
    if isinstance(x, float):
        return torch.full((1,), x, dtype=dtype, device=device)
    if isinstance(x, Tensor):
        return x.view(1) if x.dim() == 0 else x
    if isinstance(x, list | tuple):
        return type(x)(_compile_ready_nest(y, dtype, device) for y in x)
    if isinstance(x, dict):
        return {k: _compile_ready_nest(y, dtype, device) for k, y in x.items()}
    return x


def _run_inline(update: Update, lists: Sequence[list[Tensor]], coefficients: Mapping[str, Any],
                *, path: str, split: bool = True) -> None:
    if lists[0]:
        _forloop(update, lists, coefficients)


def _reduce_inline(part: Update, lists: Sequence[list[Tensor]], coefficients: Mapping[str, Any],
                   *, path: str, like: Tensor) -> list[Tensor]:
    return _forloop_sum(part, lists, coefficients, like.device) if lists[0] else []


def _per_tensor_inline(scalars: Update, counters: list[Tensor], coefficients: Mapping[str, Any],
                       *, path: str) -> list[list[Tensor]]:
    return [list(column) for column in zip(*_forloop_map(scalars, [counters], coefficients),
                                           strict=True)]


def _per_layer_inline(part: Update, lists: Sequence[list[Tensor]],
                      coefficients: Mapping[str, Any], *, path: str) -> list[list[Tensor]]:
    return [list(column) for column in zip(*_forloop_map(part, lists, coefficients),
                                           strict=True)]


def _whole_step(step: Update, tensors: Any, options: Mapping[str, Any]) -> Any:
    return step(tensors, run=_run_inline, reduce=_reduce_inline, per_tensor=_per_tensor_inline,
                per_layer=_per_layer_inline, **options)


def call_step(step: Update, tensors: Any, options: Mapping[str, Any], *, fused: bool,
              like: Tensor, block_numel: int) -> Any:
    """``step(tensors, run=..., reduce=..., per_tensor=..., per_layer=..., **options)``: a whole
    optimizer step written once over the drivers, which it calls as ``run(update, lists,
    coefficients, path=, split=)``, ``reduce(part, lists, coefficients, path=, like=)``,
    ``per_tensor(scalars, counters, coefficients, path=)`` and ``per_layer(part, lists,
    coefficients, path=)`` (:func:`run`, :func:`reduce`, :func:`per_tensor`,
    :func:`per_layer` on the given path; ``block_numel`` is the foreach path's block size).

    ``fused``: the whole step is compiled as one graph (its 0-d prelude, reductions and
    elementwise updates in one compiled call, instead of one compiled call per part and the
    eager 0-d ops between them), the drivers being the for-loop ones, compiled with it.
    ``tensors`` is then a nest of lists, tuples and dicts holding the tensors and the float
    coefficients: floats become shape-(1,) tensors of ``like``'s dtype and device, 0-d tensors
    shape-(1,) views (see the module docstring); ``options`` hold the settings that select
    the graph (floats there are burnt into it: a new value recompiles). A coefficient that
    only one tensor's loop reads is computed inside that loop, in every vector iteration
    (inductor inlines it), unless the step returns it: an output of the graph is stored once.
    """
    if fused:
        ready = _compile_ready_nest(tensors, like.dtype, like.device)
        return _compiled(step, _whole_step)(step, ready, options)

    def run_on(update: Update, lists: Sequence[list[Tensor]], coefficients: Mapping[str, Any],
               *, path: str, split: bool = True) -> None:
        run(path, update, lists, coefficients, split=split, block_numel=block_numel)

    def reduce_on(part: Update, lists: Sequence[list[Tensor]],
                  coefficients: Mapping[str, Any], *, path: str, like: Tensor) -> list[Tensor]:
        return reduce(path, part, lists, coefficients, like=like)

    def per_tensor_on(scalars: Update, counters: list[Tensor], coefficients: Mapping[str, Any],
                      *, path: str) -> list[list[Tensor]]:
        return per_tensor(path, scalars, counters, coefficients)

    def per_layer_on(part: Update, lists: Sequence[list[Tensor]],
                     coefficients: Mapping[str, Any], *, path: str) -> list[list[Tensor]]:
        return per_layer(path, part, lists, coefficients)

    return step(tensors, run=run_on, reduce=reduce_on, per_tensor=per_tensor_on,
                per_layer=per_layer_on, **options)


def run(path: str, update: Update, lists: Sequence[list[Tensor]],
        coefficients: Mapping[str, Any], *, split: bool = True, block_numel: int) -> None:
    """Apply ``update`` to every column of ``lists`` on ``path`` (see the module docstring).

    ``split`` allows the foreach path to cut tensors into flat pieces (false when the rule
    broadcasts per-instance coefficients or reduces over a tensor); ``block_numel`` is the
    CPU block size of the foreach path.
    """
    if not lists[0]:
        return
    if path == "fused":
        tensors, coefs = _compile_ready(lists, coefficients)
        _compiled(update, _forloop)(update, tensors, coefs)
    elif path == "foreach":
        _foreach(update, lists, coefficients, split=split, block_numel=block_numel)
    else:
        _forloop(update, lists, coefficients)


def per_layer(path: str, part: Update, lists: Sequence[list[Tensor]],
              coefficients: Mapping[str, Any]) -> list[list[Tensor]]:
    """The lists of values ``part(*column, **coefficients)`` returns for every column of
    ``lists`` (a tuple per column, the same number of values for every column; it may update
    its tensors in place), one list per returned value, in the order of the columns (which
    must not be empty). Compiled on the fused path, once per device and dtype on the foreach
    path, once per column on the for-loop path."""
    if path == "fused":
        tensors, coefs = _compile_ready(lists, coefficients)
        values = _compiled(part, _forloop_map)(part, tensors, coefs)
    elif path == "foreach":
        values = _foreach_map(part, lists, coefficients)
    else:
        values = _forloop_map(part, lists, coefficients)
    return [list(column) for column in zip(*values, strict=True)]


def per_tensor(path: str, scalars: Update, counters: list[Tensor],
               coefficients: Mapping[str, Any]) -> list[list[Tensor]]:
    """The lists of 0-d coefficients ``scalars(counter, **coefficients)`` returns (a tuple
    per counter; it may update the counter in place), one list per returned value, in the
    order of ``counters`` (which must not be empty).

    The for-loop path calls it once per counter (the reference); the foreach path once per
    device and dtype on a :class:`TensorList` (``torch._foreach_*`` ops); the fused path
    compiles it on its own (:func:`per_layer`: one call instead of a dozen eager foreach
    calls per step), so the compiled update reads the results as inputs.
    """
    if path == "fused":
        return per_layer(path, scalars, [counters], coefficients)
    values: list[tuple[Tensor, ...]] = [()] * len(counters)
    for (device, _), indices in _index_groups(counters).items():
        coefs = _on(device, coefficients)
        group = [counters[i] for i in indices]
        if path == "forloop":
            results = [tuple(scalars(c, **coefs)) for c in group]
        else:
            lists = scalars(TensorList(group), **coefs)
            results = list(zip(*(x.tensors for x in lists), strict=True))
        for index, result in zip(indices, results, strict=True):
            values[index] = result
    return [list(column) for column in zip(*values, strict=True)]


def reduce(path: str, part: Update, lists: Sequence[list[Tensor]],
           coefficients: Mapping[str, Any], *, like: Tensor) -> list[Tensor]:
    """The sums, over every column of ``lists``, of the tensors ``part`` returns for it (each
    0-d or (B,), on ``like``'s device); an empty list if there are no columns."""
    if not lists[0]:
        return []
    if path == "fused":
        tensors, coefs = _compile_ready(lists, coefficients)
        # the device, not the tensor: a 0-d tensor input would be read on the host by the
        # compiled code's guards
        return list(_compiled(part, _forloop_sum)(part, tensors, coefs, like.device))
    if path == "foreach":
        return _foreach_sum(part, lists, coefficients, like.device)
    return _forloop_sum(part, lists, coefficients, like.device)


@functools.cache
def _default_table() -> dict[str, dict[str, str]]:
    text = resources.files("dwmgrad").joinpath("default_paths.json").read_text()
    table: dict[str, dict[str, str]] = json.loads(text)["paths"]
    return table


def default_path(optimizer: str, params: Sequence[Tensor]) -> str:
    """The path ``foreach=None, fused=None`` takes for ``optimizer`` on ``params``.

    The committed table's entry for the parameters' device type (one device type for all of
    them), where the benchmark measured one; otherwise torch.optim's default: foreach when
    every parameter is on CUDA, the for-loop elsewhere.
    """
    kinds = {p.device.type for p in params}
    if len(kinds) != 1:
        return "forloop"
    (kind,) = kinds
    measured = _default_table().get(kind, {})
    if optimizer in measured:
        return measured[optimizer]
    return "foreach" if kind == "cuda" else "forloop"
