"""The reference engine: a vectorized reverse-mode autodiff over numpy, and the answer key.

- ``engine``: ``Tensor`` (n-d arrays, reverse mode), ``no_grad``.
- ``nn``: ``Linear``, ``Sequential``, activations, ``Dropout``, losses, ``SGD``.
- ``gradcheck``: central-difference gradient checking with a relative verdict.
- ``course``: an answer for every name of the exercise contract.
- ``demo``: ``nngrade demo``, the lecture's two networks trained in seconds.
"""
