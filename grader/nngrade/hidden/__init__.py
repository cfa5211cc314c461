"""Running the hidden suites: the stage between the sandbox and scoring.

Read in this order:

- `suite`: the suites collected once per grading process (pytest), each
  test kept as a `HiddenTest` the grader calls with its arguments;
- `grader`: `SuiteGrader.grade`, one submission from load to results.json;
- `side_by_side`: tests run side by side so their calls go out in batches;
- `calls`: `SubmissionCalls`, where every call leaves for the backend;
- `student`: the `StudentModule` proxy a test calls, and its `Request`s;
- `verdicts`: how a test's run becomes a `TestRecord`;
- `replay`: verdicts reused for answers identical to an earlier submission's;
- `answers`: the reference's answers, computed once per process;
- `backend`: the methods a backend has; `inprocess`: the backend (and
  `grade_in_process`) for code that already runs in an nbgrader kernel.
"""
