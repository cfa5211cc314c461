"""The code that runs inside the sandbox, next to the student's code.

Everything in this package is imported by the confined worker process, so it
may import only the standard library and numpy, and it must hold nothing
secret: the whole folder is bind-mounted, read-only, into the sandbox. The
parent (``nngrade.sandbox``) imports ``protocol`` and ``functions`` from here
too, so that both sides speak exactly the same wire format and compute the
trusted helper functions the same way.

Nothing here is trusted once student code has run in the same process: the
worker may be monkeypatched, so the parent re-validates every byte it gets.

The package is split along the same seams as the grader's half,
``nngrade.sandbox`` (whose docstring maps one onto the other): ``main`` (the
entry point), ``zygote``, ``child``, ``channel`` and ``wording`` each mirror
the grader's module of that concern; ``protocol`` is the wire format both
import; ``confine``, ``loader``, ``output``, ``functions`` and ``drivers``
exist on this side only.
"""
