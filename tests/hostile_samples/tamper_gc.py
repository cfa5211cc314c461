# Appended after forged_drivers.py to a student module; not run on its own.
# Attack through `gc`: make the zygote's frozen objects visible again, then rewrite every
# driver module whose globals can be found among the live objects.

def _tamper_gc():
    import gc

    gc.unfreeze()
    for obj in gc.get_objects():
        if isinstance(obj, dict) and "__name__" in obj:
            _install(obj)  # noqa: F821 - defined by forged_drivers.py


_tamper_gc()
