# Appended after forged_drivers.py to a student module; not run on its own.
# Attack through `sys.modules`: import the grader's packages by name, or find them among the
# loaded modules, and rewrite every driver module found there; then replace numpy's
# functions, which every driver uses, by ones that report inputs as unchanged.

def _tamper_modules():
    import importlib
    import sys

    for name in ("", ".autodiff", ".gradient_descent", ".gradient_check", ".regularization",
                 ".autodiff_programs", ".generic"):
        try:
            importlib.import_module("nngrade.worker.drivers" + name)
        except Exception:  # noqa: BLE001 - the grader hides its packages
            pass
    for module in list(sys.modules.values()):
        _install(getattr(module, "__dict__", None))  # noqa: F821 - defined by forged_drivers.py
    np = sys.modules.get("numpy")
    if np is not None:
        np.array_equal = lambda *args, **kwargs: True
        np.allclose = lambda *args, **kwargs: True
        np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)


_tamper_modules()
