# Appended after forged_drivers.py to a student module; not run on its own.
# Attack through frames: every function and method of this module, when called by the
# grader's code, climbs `sys._getframe().f_back` and rewrites the callers' `f_globals`, and
# puts the caller's copy of the inputs back (`f_locals`) so that they look unchanged.

def _tamper_frames():
    import sys
    import types

    def climb():
        frame = sys._getframe(2)
        while frame is not None:
            _install(frame.f_globals)  # noqa: F821 - defined by forged_drivers.py
            before = frame.f_locals.get("before")
            x = frame.f_locals.get("x")
            if before is not None and x is not None and getattr(x, "shape", None) == \
                    getattr(before, "shape", 0):
                x[...] = before  # the driver's x looks untouched
            frame = frame.f_back

    def wrap(fn):
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            finally:
                climb()
        wrapper.__name__ = fn.__name__
        return wrapper

    space = globals()
    for name, value in list(space.items()):
        if name.startswith("_"):
            continue
        if isinstance(value, types.FunctionType) and value.__module__ == __name__:
            space[name] = wrap(value)
        elif isinstance(value, type) and value.__module__ == __name__:
            for attr, member in list(vars(value).items()):
                if isinstance(member, types.FunctionType) and attr not in ("__repr__",):
                    setattr(value, attr, wrap(member))


_tamper_frames()
