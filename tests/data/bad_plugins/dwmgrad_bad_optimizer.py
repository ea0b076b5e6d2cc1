"""A malformed plugin for the tests: its optimizer's factory is not callable."""

from dwmgrad.registry import register_optimizer

register_optimizer("NotAnOptimizer", 42)  # type: ignore[arg-type]
