"""Fuzz harnesses (atheris) for `Engine.check` and rules loading; see docs/fuzzing.md."""
