"""The semester's gradebook: every graded hand-in, regrade, override and extension, kept for good.

``database`` opens it (SQLite in the course folder, or PostgreSQL) and
migrates it in place; ``models`` are its tables; ``figures`` turns a
results.json into an assignment's score; ``record`` writes, ``state`` and
``diff`` read; ``pipeline.grade_assignment`` selects, grades and records an
assignment; ``export``, ``page`` and ``show`` are what people get out of it;
``cli`` holds the ``nngrade gradebook`` commands.
"""
