"""The student side of nngrade: ``nngrade check`` and its public checks.

It ships to students in the release bundle, so it imports only the
standard library, numpy, click and ``nngrade.contract``; nothing here may
reach for the grader, the sandbox or the reference engine. Submodules are
imported on demand by the command line, never from here, to keep
``nngrade check`` quick to start.
"""
