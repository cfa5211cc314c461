"""The hidden suites: pytest modules run by `nngrade.runner` against each submission.

Never shipped to students (`nngrade release` checks), never visible inside
the sandbox. Expected values always come from `nngrade.reference.course`.
"""
