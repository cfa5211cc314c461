"""``nngrade grade``: a class graded in parallel, resumable, never stopped by one submission.

- `pipeline`: the command's work top to bottom (`grade_class`, `grade_directory`);
- `pool`: the grading processes, each a sandbox and the hidden suites;
- `output`: the output folder (results, reports, gradebook, run.json, resume);
- `options`: what an instructor sets; `errors`: when the grader cannot run;
- `command`: the click command.
"""
