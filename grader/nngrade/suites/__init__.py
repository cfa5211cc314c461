"""The hidden suites: pytest modules that grade each submission against the reference.

A test is a plain function in ``test_<module>.py``, marked with the contract
name it grades (``@pytest.mark.contract("activations", "sigmoid")``, with an
optional ``weight``), titled by its docstring's first line, and taking only
``student`` (the student's module: calls go to the sandbox), ``rng`` (a
generator seeded from the run's seed and the test's id) and its own
``parametrize`` arguments. There are no fixtures: `nngrade.hidden.suite`
collects the tests once per grading process and `HiddenTest.__call__` gives
each its arguments. Expected values always come from
`nngrade.reference.course` (through `nngrade.hidden.answers`); failures are
`nngrade.feedback.Feedback`.

Never shipped to students (`nngrade release` checks), never visible inside
the sandbox.
"""
