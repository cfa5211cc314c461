"""``nngrade similarity``: a local code-similarity report for the instructor, after the deadline.

The path of a report, one module per step:

    intake -> tokens (lexer) -> deadcode -> fingerprints -> given -> compare
           -> clusters -> analysis -> display -> report (texts, templates) <- command

Student code is read as text and never run; the report never changes a
grade and says that a score is a reason to look, not proof.
"""
