"""Grading on Gradescope: nngrade inside Gradescope's autograder container.

Gradescope runs one submission per container: it builds an image once from
an uploaded zip (``setup.sh``), then for every submission runs
``/autograder/run_autograder`` and uploads ``/autograder/results/results.json``.
``nngrade gradescope build`` writes that zip (`nngrade.gradescope.bundle`,
with nngrade as a wheel inside: `nngrade.gradescope.wheel`, and the course's
settings: `nngrade.gradescope.settings`); ``run_autograder`` runs
`nngrade.gradescope.autograder`, which grades the submission in its own
interpreter as ``nngrade grade -j 1`` would (nngrade's grading pool: one
forked grading process with its sandbox) and rewrites the results to Gradescope's
specification (`nngrade.gradescope.results`, checked by
`nngrade.gradescope.spec`, lateness from `nngrade.gradescope.metadata`,
words from `nngrade.gradescope.texts`). ``nngrade gradescope test``
(`nngrade.gradescope.local`) reproduces the whole cycle in a folder.

Threat model: the container runs student code next to the grader. nngrade's
sandbox confines it; where Docker blocks the namespaces bubblewrap needs,
the sandbox falls back to rlimits, seccomp and the ``nobody`` user, so the
bundle makes everything secret unreadable to other users (see setup.sh in
`nngrade.gradescope.bundle`) and each report lists what was missing.
"""
