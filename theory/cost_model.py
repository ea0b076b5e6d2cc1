"""Cost model: arithmetic, memory traffic and state per parameter per step, for each optimizer.

Notation: ``n`` = number of optimizer steps, ``d`` = number of parameters (scalar elements,
summed over all parameter tensors), ``P`` = number of parameter tensors, ``b`` = bytes per
element of the parameters' dtype (4 for float32, 8 for float64), ``K`` = Aida's number of
projections.

Each optimizer is described twice, from the same update rule (spec §1-4, torch's Adam for
reference):

* ``program``: the update as elementwise expressions (one line per new value, later lines use
  earlier ones), with the per-step scalars (ω_t, μ_t, 1 − β^t, ...) as symbols. From it:
  the arithmetic operations per element a fused kernel needs (``expression_flops``; scalar-only
  subexpressions are computed once per step and cost nothing per element; a reduction
  ⟨x, y⟩ costs 2 per element) and the memory streams of such a kernel (``minimal_streams``:
  every vector read once, every new state written once, plus the extra sweep a reduction
  over all elements needs before the update can start).
* ``passes``: the elementwise passes of the package's for-loop (reference) path, one per
  torch kernel, each reading its distinct d-element operands and writing its d-element
  output. From them: ``flops`` and ``streams`` per element, hence ``bytes = streams · b``.
  Tests count these passes under a ``TorchDispatchMode`` on real steps (:mod:`tests` and
  :mod:`proofs_check.cost_model`), so the model cannot drift from the code.

Totals: time ``Θ(n·d)`` with constant ``flops`` (plus ``n·scalar_ops(P, K)`` operations on
0-d tensors: DWMGrad's window update is O(1) per step, every other rule keeps a step counter
per tensor, O(P)); memory traffic ``n·d·streams·b`` bytes; state ``d·state_tensors·b`` bytes
plus one 0-d counter per tensor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp

from theory.core import Assumption, Bound, Derivation, DerivationLine
from theory.dwmgrad import ANALYSED_OPTIONS

n, d, P, b = sp.symbols("n d P b", positive=True, integer=True)
K = sp.Symbol("K", nonnegative=True, integer=True)
PROJECTING = sp.Min(K, 1)
"""1 when Aida projects (K >= 1; the closed form's three inner products), 0 for K = 0."""

# --- the elementwise symbols (one value per parameter element) ------------------------------
g, theta, s, s_hat, v, m, g_prev, disp = sp.symbols("g theta s s_hat v m g_prev d_prev",
                                                    real=True)
s1, s_hat1, v1, m1, theta1, r1, g_prev1, disp1 = sp.symbols(
    "s_new s_hat_new v_new m_new theta_new r g_prev_new d_new", real=True)
NEW_VALUE = {s: s1, s_hat: s_hat1, v: v1, m: m1, theta: theta1, g_prev: g_prev1, disp: disp1}
"""The program's symbol for the updated value of each state vector (and θ)."""
VECTORS = frozenset({g, r1, *NEW_VALUE, *NEW_VALUE.values()})

# --- per-step scalars -----------------------------------------------------------------------
alpha, mu, omega, eps, beta, beta1, beta2, t, p_k, q_k = sp.symbols(
    "alpha mu omega epsilon beta beta1 beta2 t p_K q_K", positive=True)

FLOPS_PER_ELEMENT: Mapping[str, int] = {
    "mul": 1, "div": 1, "add": 1, "sub": 1, "sqrt": 1, "maximum": 1, "sum": 1,
    "lerp": 3,      # a + w (b − a)
    "addcmul": 2,   # a + x·y
    "addcdiv": 2,   # a + x/y
    "copy": 0,
}
"""Arithmetic per element of each torch kernel; ``scaled`` (alpha=/value= ≠ 1) adds 1."""


def kernel_flops(op: str, scaled: bool) -> int:
    """Flops per element of the aten op ``op`` (e.g. ``"aten.addcmul_.default"``)."""
    base = op.removeprefix("aten.").split(".")[0].rstrip("_")
    if base not in FLOPS_PER_ELEMENT:
        raise ValueError(f"no flop count for kernel {op!r}; known: {sorted(FLOPS_PER_ELEMENT)}")
    return FLOPS_PER_ELEMENT[base] + int(scaled)


@dataclass(frozen=True)
class Pass:
    """One elementwise kernel of the for-loop path, per parameter tensor and step.

    ``reads`` distinct d-element operands, ``writes`` d-element outputs (0 for a reduction),
    ``scaled`` when it has an ``alpha=``/``value=`` factor, ``count`` how many times it runs
    (an expression in K for Aida's projections), ``computes`` the piece of the rule.
    """

    op: str
    reads: int
    writes: int = 1
    scaled: bool = False
    count: sp.Expr = sp.Integer(1)
    computes: str = ""

    @property
    def key(self) -> tuple[str, int, int, bool]:
        return (self.op, self.reads, self.writes, self.scaled)

    @property
    def flops(self) -> int:
        return kernel_flops(self.op, self.scaled)


def elementwise_ops(expr: sp.Expr) -> int:
    """Arithmetic operations per element of ``expr``; scalar-only parts are free.

    ``x²``, ``√x`` and ``1/x`` cost 1; ``x^{-1/2}`` costs 2; a division inside a product
    replaces a multiplication; all scalar factors (terms) of a product (sum) count as one.
    """
    if not expr.free_symbols & VECTORS:
        return 0
    if expr.is_Symbol:
        return 0
    if isinstance(expr, sp.Pow):
        base_ops = elementwise_ops(expr.base)
        if expr.exp in (2, sp.Rational(1, 2), -1):
            return base_ops + 1
        if expr.exp == sp.Rational(-1, 2):
            return base_ops + 2
        raise ValueError(f"no op count for the power {expr}")
    if isinstance(expr, sp.Add | sp.Mul):
        vec = [a for a in expr.args if a.free_symbols & VECTORS]
        operands = len(vec) + int(len(vec) < len(expr.args))
        inner = 0
        for a in vec:
            if isinstance(expr, sp.Mul) and isinstance(a, sp.Pow) and a.exp == -1:
                inner += elementwise_ops(a.base)  # the product's multiply becomes a divide
            else:
                inner += elementwise_ops(a)
        return operands - 1 + inner + int(operands == 1 and inner == 0)
    if isinstance(expr, sp.Max):
        return len(expr.args) - 1 + sum(elementwise_ops(a) for a in expr.args)
    raise ValueError(f"no op count for {type(expr).__name__}: {expr}")


@dataclass(frozen=True)
class CostModel:
    """Cost of one optimizer per parameter element and step (see the module docstring)."""

    optimizer: str
    reference: str
    program: tuple[tuple[sp.Symbol, sp.Expr], ...]
    state: Mapping[sp.Symbol, str]
    """Old-value symbol of each d-element state tensor (θ excluded) → the code's state key."""
    passes: tuple[Pass, ...]
    scalar_ops: sp.Expr
    """Operations on 0-d tensors per step (window, counters, norms' scalars), in P and K."""
    reductions: tuple[tuple[sp.Expr, sp.Expr], ...] = ()
    """Inner products ⟨x, y⟩ over all elements a fused kernel must finish before updating."""
    notes: str = ""
    options: Mapping[str, object] = field(default_factory=dict)
    """Keyword arguments of the optimizer this model describes (beyond the defaults)."""
    writes_theta: bool = True

    # -- from the update expressions (as written; one fused kernel) --
    @property
    def expression_flops(self) -> int:
        return sum(elementwise_ops(e) for _, e in self.program) + 2 * len(self.reductions)

    @property
    def minimal_streams(self) -> int:
        defined = {target for target, _ in self.program}
        used = set().union(*(e.free_symbols for _, e in self.program)) & VECTORS
        reads = len(used - defined)
        writes = len(self.state) + int(self.writes_theta)
        return reads + writes + len(self._reduction_inputs())

    def _reduction_inputs(self) -> set[sp.Basic]:
        """Old vectors a reduction sweep must read (new values expanded by the program)."""
        exprs = [x * y for x, y in self.reductions]
        for target, value in reversed(self.program):
            exprs = [e.xreplace({target: value}) for e in exprs]
        return set().union(*(e.free_symbols for e in exprs)) & VECTORS

    # -- from the for-loop path --
    @property
    def flops(self) -> sp.Expr:
        """Arithmetic operations per parameter element and step (for-loop path)."""
        return sp.expand(sum(p.count * p.flops for p in self.passes))

    @property
    def streams_read(self) -> sp.Expr:
        """d-element operands read per parameter element and step (for-loop path)."""
        return sp.expand(sum(p.count * p.reads for p in self.passes))

    @property
    def streams_written(self) -> sp.Expr:
        return sp.expand(sum(p.count * p.writes for p in self.passes))

    @property
    def streams(self) -> sp.Expr:
        """Reads plus writes: bytes moved per parameter and step are ``streams · b``."""
        return self.streams_read + self.streams_written

    @property
    def kernel_passes(self) -> sp.Expr:
        return sp.expand(sum(p.count for p in self.passes))

    def bytes_per_param(self, itemsize: sp.Expr = b) -> sp.Expr:
        return self.streams * itemsize

    def state_bytes_per_param(self, itemsize: sp.Expr = b) -> sp.Expr:
        return len(self.state) * itemsize

    @property
    def total_time(self) -> sp.Expr:
        """Operations for n steps on d parameters in P tensors: n(d·flops + scalar_ops)."""
        return n * (d * self.flops + self.scalar_ops)

    @property
    def total_traffic(self) -> sp.Expr:
        return n * d * self.bytes_per_param()

    def pass_counts(self, k: int = 2) -> dict[tuple[str, int, int, bool], int]:
        """Multiset of passes per tensor (with K = k), the form the dispatch counter returns."""
        out: dict[tuple[str, int, int, bool], int] = {}
        for p in self.passes:
            c = int(p.count.subs(K, k))
            if c:
                out[p.key] = out.get(p.key, 0) + c
        return out

    def describe(self) -> dict[str, object]:
        return {
            "optimizer": self.optimizer,
            "flops_per_param": str(self.flops),
            "options": dict(self.options),
            "bytes_read_per_param": str(self.streams_read * b),
            "bytes_written_per_param": str(self.streams_written * b),
            "bytes_per_param": str(self.bytes_per_param()),
            "kernel_passes": str(self.kernel_passes),
            "state_bytes_per_param": str(self.state_bytes_per_param()),
            "expression_flops": self.expression_flops,
            "minimal_bytes_per_param": str(self.minimal_streams * b),
            "scalar_ops_per_step": str(self.scalar_ops),
            "total_time": str(self.total_time),
            "reference": self.reference,
            "notes": self.notes,
        }


def _p(op: str, reads: int, writes: int = 1, scaled: bool = False, count: sp.Expr | int = 1,
       computes: str = "") -> Pass:
    return Pass(f"aten.{op}", reads, writes, scaled, sp.sympify(count), computes)


_MUL_IN, _DIV_IN = "mul.Tensor", "div.Tensor"
_BELIEF_STEP = (  # dwmgrad.adabelief.belief_step_, shared by AdaBelief and Aida
    _p("mul_.Tensor", 1, computes="β₂ s"),
    _p("addcmul_.default", 2, scaled=True, computes="+ (1 − β₂) r²"),
    _p("add_.Tensor", 1, computes="+ ε (state)"),
    _p("sqrt.default", 1, computes="√s"),
    _p(_MUL_IN, 1, computes="m · α√(1 − β₂^t)/(1 − β₁^t)"),
    _p("div_.Tensor", 2, computes="/ denominator"),
    _p("sub_.Tensor", 2, computes="θ −="),
)
_OUTER_EPS = _p("add_.Tensor", 1, computes="+ outer ε·√(1 − β₂^t)")
_FIRST_MOMENT = (
    _p("lerp_.Scalar", 2, computes="m + (1 − β₁)(g − m)"),
)
_SECANT_NORMS = (  # dwmgrad.adaptive_hb.secant_sums: ‖g − g_prev‖², ‖x_k − x_{k−1}‖²
    _p("sub.Tensor", 2, computes="g − g_prev"),
    _p(_MUL_IN, 1, count=2, computes="squares for the two norms"),
    _p("sum.dim_IntList", 1, writes=0, count=2, computes="the two sums"),
)
_ADAM_SECOND_MOMENT = (
    _p("mul_.Tensor", 1, computes="β₂ v"),
    _p("addcmul_.default", 2, scaled=True, computes="+ (1 − β₂) g²"),
)
_ADAM_DENOMINATOR = (
    _p("sqrt.default", 1, computes="√v"),
    _p("mul_.Tensor", 1, computes="· 1/√(1 − β₂^t)"),
    _p("add_.Tensor", 1, computes="+ ε"),
)

_bc1, _bc2 = 1 - beta1**t, 1 - beta2**t

_DWMGRAD_PASSES = (
    _p(_MUL_IN, 1, computes="g²"),
    _p("lerp_.Tensor", 2, computes="s + (g² − s)/ω"),
    _p("add_.Tensor", 1, computes="+ ε"),
    _p("mul_.Tensor", 1, computes="μ_t v"),
    _p("sub_.Tensor", 2, computes="θ − v"),
)
_CONSTANT_LR_STEP = _p("addcdiv_.default", 3, scaled=True, computes="+ α g/(√s + ε)")
_DECAYING_LR_STEP = (
    _p(_MUL_IN, 1, computes="α_t g"),
    _p("addcdiv_.default", 3, computes="+ α_t g/(√ŝ + ε)"),
)
_DWMGRAD_S = (s1, s * (omega - 1) / omega + g**2 / omega)

MODELS: dict[str, CostModel] = {
    "DWMGrad": CostModel(
        "DWMGrad", "spec §1 (seed 000, Wang, Li, Zeng, arXiv 2510.25042)",
        program=(_DWMGRAD_S,
                 (v1, mu * v + alpha * g / (sp.sqrt(s1) + eps)),
                 (theta1, theta - v1)),
        state={s: "s", v: "v"},
        passes=(*_DWMGRAD_PASSES, _CONSTANT_LR_STEP, _p("sqrt.out", 1, computes="√s")),
        scalar_ops=sp.Integer(26),
        notes="window, μ_t, α_t, 1/ω_t: a fixed number of 0-d ops per step, independent of P "
              "(loss passed as a 0-d tensor; 8 of them hold the window on a non-finite loss)",
    ),
    "DWMGrad (analysed)": CostModel(
        "DWMGrad", "theory.dwmgrad.ANALYSED_OPTIONS: α/√t, decaying momentum, monotone ŝ",
        program=(_DWMGRAD_S,
                 (s_hat1, sp.Max(s_hat, s1)),
                 (v1, mu * v + alpha * g / (sp.sqrt(s_hat1) + eps)),
                 (theta1, theta - v1)),
        state={s: "s", v: "v", s_hat: "s_hat"},
        passes=(*_DWMGRAD_PASSES, *_DECAYING_LR_STEP,
                _p("maximum.out", 2, computes="ŝ = max(ŝ, s)"),
                _p("sqrt.out", 1, computes="√ŝ")),
        scalar_ops=sp.Integer(28),
        options=ANALYSED_OPTIONS,
        notes="two more passes (÷ α_t: 2 streams, max: 3 streams) and one more state tensor "
              "than the paper's rule; "
              "α_t = α/√t and μ_t's λ^{t−1} are 0-d ops",
    ),
    "AdaBelief": CostModel(
        "AdaBelief", "spec §4 (Zhuang et al. 2020, authors' package semantics)",
        program=((m1, beta1 * m + (1 - beta1) * g),
                 (s1, beta2 * s + (1 - beta2) * (g - m1) ** 2 + eps),
                 (theta1, theta - alpha / _bc1 * m1 / (sp.sqrt(s1) / sp.sqrt(_bc2) + eps))),
        state={m: "m", s: "s"},
        passes=(*_FIRST_MOMENT, _p("sub.Tensor", 2, computes="r = g − m"), *_BELIEF_STEP,
                _OUTER_EPS),
        scalar_ops=11 * P,
        notes="per tensor: step counter, β₁^t, β₂^t, the step size α√(1 − β₂^t)/(1 − β₁^t) "
              "and the outer ε·√(1 − β₂^t) (0-d ops)",
    ),
    "Aida": CostModel(
        "Aida", "spec §4 (seed 003, Zhang, Niwa, Kleijn, arXiv 2203.13273, authors' code)",
        program=((m1, beta1 * m + (1 - beta1) * g),
                 (r1, q_k * m1 - p_k * g),
                 (s1, beta2 * s + (1 - beta2) * r1**2 + eps),
                 (theta1, theta - alpha / _bc1 * m1 / (sp.sqrt(s1) / sp.sqrt(_bc2)))),
        state={m: "m", s: "s"},
        passes=(
            _p("lerp.Scalar", 2, count=PROJECTING, computes="m_t for the inner products "
                                                           "(first pass, not stored)"),
            _p(_MUL_IN, 2, count=PROJECTING, computes="g·m for ⟨g, m⟩"),
            _p(_MUL_IN, 1, count=2 * PROJECTING, computes="g·g, m·m for the norms"),
            _p("sum.dim_IntList", 1, writes=0, count=3 * PROJECTING, computes="the three sums"),
            _p(_MUL_IN, 1, count=2 * PROJECTING, computes="q_K m, p_K g"),
            *_FIRST_MOMENT,
            _p("sub.Tensor", 2, computes="r = b_K − a_K"),
            *_BELIEF_STEP,
        ),
        scalar_ops=(10 + 4 * PROJECTING + 12 * (K - PROJECTING)) * P,
        reductions=((g, g), (m1, m1), (g, m1)),
        notes="the code computes the K projections in closed form (dwmgrad.aida."
              "projected_difference): ⟨g,g⟩, ⟨m,m⟩, ⟨g,m⟩ whatever K (none for K = 0), then "
              "p_K, q_K with O(K) 0-d ops per tensor",
    ),
    "DemonSGD": CostModel(
        "DemonSGD", "spec §3 (seed 002, Chen et al., arXiv 1910.04952)",
        program=((v1, beta * v - alpha * g), (theta1, theta + v1)),
        state={v: "v"},
        passes=(
            _p("mul_.Tensor", 1, computes="β_t v"),
            _p("add_.Tensor", 2, scaled=True, computes="− η g"),
            _p("add_.Tensor", 2, computes="θ + v"),
        ),
        scalar_ops=9 * P,
        notes="β_t computed per tensor from its step counter",
    ),
    "DemonAdam": CostModel(
        "DemonAdam", "spec §3 (seed 002; no m bias correction, documented choice)",
        program=((m1, g + beta * m),
                 (v1, beta2 * v + (1 - beta2) * g**2),
                 (theta1, theta - alpha * m1 / (sp.sqrt(v1 / _bc2) + eps))),
        state={m: "m", v: "v"},
        passes=(
            _p("mul_.Tensor", 1, computes="β_t m"),
            _p("add_.Tensor", 2, computes="+ g"),
            *_ADAM_SECOND_MOMENT,
            *_ADAM_DENOMINATOR,
            _p("addcdiv_.default", 3, scaled=True, computes="θ − η m/denominator"),
        ),
        scalar_ops=13 * P,
        notes="per tensor: step counter, β_t, and 1/√(1 − β₂^t) with 1 − β₂^t = "
              "−expm1(t·log β₂) (4 0-d ops, finite in float32 for β₂ next to 1)",
    ),
    "AdaptiveHB": CostModel(
        "AdaptiveHB", "spec §2 (seed 001, Sun et al., arXiv 2110.09057; a reconstruction)",
        program=((v1, beta * v - alpha * g), (theta1, theta + v1), (g_prev1, g)),
        state={v: "v", g_prev: "g_prev"},
        passes=(
            *_SECANT_NORMS,
            _p("mul_.Tensor", 1, computes="β_k v"),
            _p("add_.Tensor", 2, scaled=True, computes="− α g"),
            _p("add_.Tensor", 2, computes="θ + v"),
            _p("copy_.default", 2, computes="g_prev ← g"),
        ),
        scalar_ops=13 + 3 * P,
        reductions=((g - g_prev, g - g_prev), (v, v)),
        notes="h_k needs two norms over ALL parameters before any update: one extra sweep",
    ),
    "AdamAHB": CostModel(
        "AdamAHB", "spec §2 (seed 001 rule as Adam's β₁; a reconstruction)",
        program=((m1, beta * m + (1 - beta) * g),
                 (v1, beta2 * v + (1 - beta2) * g**2),
                 (disp1, -alpha * m1 / (sp.sqrt(v1 / _bc2) + eps)),
                 (theta1, theta + disp1), (g_prev1, g)),
        state={m: "m", v: "v", g_prev: "g_prev", disp: "d"},
        passes=(
            *_SECANT_NORMS,
            _p("lerp_.Tensor", 2, computes="m + (1 − β_k)(g − m)"),
            *_ADAM_SECOND_MOMENT,
            *_ADAM_DENOMINATOR,
            _p("copy_.default", 2, computes="d ← m"),
            _p("div_.Tensor", 2, computes="/ denominator"),
            _p("mul_.Tensor", 1, computes="· (−α)"),
            _p("add_.Tensor", 2, computes="θ + d"),
            _p("copy_.default", 2, computes="g_prev ← g"),
        ),
        scalar_ops=13 + 8 * P,
        reductions=((g - g_prev, g - g_prev), (disp, disp)),
    ),
    "Adam": CostModel(
        "Adam", "torch.optim.Adam, for-loop path (foreach=False), Kingma & Ba (2015)",
        program=((m1, beta1 * m + (1 - beta1) * g),
                 (v1, beta2 * v + (1 - beta2) * g**2),
                 (theta1, theta - alpha / _bc1 * m1 / (sp.sqrt(v1) / sp.sqrt(_bc2) + eps))),
        state={m: "exp_avg", v: "exp_avg_sq"},
        passes=(
            _p("lerp_.Scalar", 2, computes="m + (1 − β₁)(g − m)"),
            *_ADAM_SECOND_MOMENT,
            _p("sqrt.default", 1, computes="√v"),
            _p(_DIV_IN, 1, computes="/ √(1 − β₂^t)"),
            _p("add_.Tensor", 1, computes="+ ε"),
            _p("addcdiv_.default", 3, scaled=True, computes="θ − (α/(1 − β₁^t)) m/denominator"),
        ),
        scalar_ops=2 * P,
        notes="reference point; its for-loop path reads each step counter on the host "
              "(one _local_scalar_dense per tensor)",
    ),
}
"""The cost model of every optimizer of the package, and torch's Adam as reference."""

# --- as bounds ------------------------------------------------------------------------------
STEADY_STATE = Assumption("elementwise_streaming",
                          "each elementwise pass streams its operands once (no cache reuse "
                          "between passes); per-step scalars computed once")
_SYMBOLS = {n: "number of optimizer steps", d: "number of parameters (elements)",
            P: "number of parameter tensors", K: "Aida's projections per step"}


def _time_bound(key: str, model: CostModel) -> Bound:
    expr = model.total_time
    symbols = {s_: _SYMBOLS[s_] for s_ in (n, d, P, K) if s_ in expr.free_symbols}
    name = key.replace(" (analysed)", "_analysed")
    return Bound(f"cost_{name}", rf"\text{{ops}}_{{\text{{{key}}}}}(n, d)",
                 expr, symbols, (STEADY_STATE,), "tight",
                 f"{model.reference}; counted here from the for-loop path",
                 notes=f"{model.bytes_per_param()} bytes and {model.flops} flops per parameter "
                       f"per step; state {model.state_bytes_per_param()} bytes per parameter")


BOUNDS: list[Bound] = [_time_bound(key, model) for key, model in MODELS.items()]

DERIVATIONS: list[Derivation] = [
    Derivation(
        name="cost_model", title="Cost per parameter and step: Θ(n·d) with constants",
        proof="cost_model",
        setting="$n$ steps, $d$ parameters in $P$ tensors, $b$ bytes per element. Each "
                "elementwise pass of the for-loop path reads its distinct $d$-element operands "
                "and writes its output once.",
        lines=(
            DerivationLine("Total operations: n(d·flops + scalar_ops(P, K)); divided by n·d "
                           "it tends to the per-parameter flops as d → ∞ (P fixed): Θ(n·d).",
                           r"\lim_{d\to\infty} \frac{n(d\,c + o(P))}{n d} = c", "theta_n_d"),
            DerivationLine("The for-loop passes the model lists are exactly the kernels the "
                           "code runs (counted under a TorchDispatchMode).", None,
                           "passes_match_code"),
            DerivationLine("The state tensors the model lists are exactly the d-element state "
                           "the code allocates.", None, "state_matches_code"),
            DerivationLine("The update expressions the fused counts come from are what the "
                           "code computes (one step from a random state).", None,
                           "expressions_match_code"),
        ),
        bounds=tuple(bd.name for bd in BOUNDS),
    ),
]
