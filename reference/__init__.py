"""The reference engine: a vectorized reverse-mode autodiff over numpy, and the answer key."""
