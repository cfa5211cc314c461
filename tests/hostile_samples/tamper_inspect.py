# Appended after forged_drivers.py to a student module; not run on its own.
# Attack through `inspect`: from inside the calls the grader makes, `inspect.stack()` names
# the calling functions and `inspect.getmodule` their modules; every caller is rewritten
# (its globals, and the `__code__` of the functions the forgeries replace).

def _tamper_inspect():
    import inspect
    import types

    def reach():
        for info in inspect.stack(0)[2:]:
            _install(info.frame.f_globals)  # noqa: F821 - defined by forged_drivers.py
            module = inspect.getmodule(info.frame)
            if module is not None:
                _install(vars(module))  # noqa: F821 - defined by forged_drivers.py

    def wrap(fn):
        def wrapper(*args, **kwargs):
            reach()
            return fn(*args, **kwargs)
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


_tamper_inspect()
