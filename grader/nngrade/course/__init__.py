"""A semester as the instructor plans it: the course file, the roster, deadlines and hand-ins.

``config`` reads ``nngrade.toml``, ``check`` finds what is wrong with it,
``roster`` reads the class list, ``late`` prices lateness, ``attempts`` and
``lms`` read hand-ins (the inbox, Canvas and Moodle downloads, plain
folders), and ``selection`` picks the attempt graded for an assignment.
Nothing here grades or stores anything: that is ``nngrade.gradebook``.
"""
