"""``dwmgrad-verify audit``: the standard battery on any torch optimizer (by import path).

:mod:`.target` (the audited optimizer), :mod:`.regret` (online regret suite and user
bounds), :mod:`.games` (Reddi's and Lessard's constructions, invariance), :mod:`.search_cost`
(counterexample search, cost scaling), :mod:`.battery` (runs and measures every part).
"""
