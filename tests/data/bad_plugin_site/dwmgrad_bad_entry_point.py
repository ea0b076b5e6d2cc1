"""A malformed plugin for the tests, found by entry point: its problem is not a Problem."""

from experiments.problems import register_problem


class NotAProblem:
    NAME = "not_a_problem"


register_problem(NotAProblem)  # type: ignore[arg-type]
