"""The grader's version: part of every result's cache key and of results.json.

``nngrade`` is a namespace package spread over two source roots (``grader/``
and ``reference/``, see docs/architecture.md), so it has no ``__init__.py``
to hold this.
"""

__version__ = "0.1.0"
