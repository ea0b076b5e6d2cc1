"""The ``dwmgrad-verify`` command line: one entry point for optimizers, theory, checks,
experiments, reports and benchmarks."""
