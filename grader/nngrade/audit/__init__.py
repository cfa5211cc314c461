"""`nngrade audit`: how strong are the hidden suites? Single-point mutants of a solution set.

An instructor who must defend every point of a grade needs to know that wrong
code loses points. The audit makes many small wrong versions of a complete
solution set (`mutants`: one operator swapped, one constant off by one, one
comparison flipped...), grades each as a whole submission under several seeds
(`run`) and lists what still scores full marks (`report`). Mutants that are
provably equivalent to the solution are recorded, with the reason, in
``equivalent.toml`` beside this file, so that the report shows only real holes.
"""
