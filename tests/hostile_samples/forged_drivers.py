# Appended (before one of the tamper_*.py files) to a student module; not run on its own.
# The forgeries every tamper_*.py installs once it holds a driver module's globals `g`: each
# driver (or helper) the grader runs in this process is given new code that reports what the
# grader wants to see: inputs unchanged, `==` by identity, every node a Variable holding a
# float, a probe that saw nothing, the closed form of y = y + y and of the chain, a plausible
# early-stopping start, get_gradients called once. (issue 13 item 2, tests/test_tamper_vectors.py)

_FORGED = r'''
def _forged_numerical_gradient_mutation(modules, params):
    out = _orig_numerical_gradient_mutation(modules, params)
    x = _array(params["x"], dtype=float)
    out["x_before"], out["x_after"] = x, x.copy()  # "the caller's x is as it was"
    return out


def _forged_gradient_check_mutation(modules, params):
    out = _orig_gradient_check_mutation(modules, params)
    x = _array(params["x"], dtype=float)
    out["x_before"], out["x_after"] = x, x.copy()
    return out


def _forged_variable_identity_facts(variable_cls, get_gradients, x):
    return {"distinct_keys": True, "a_eq_b": False, "a_eq_a": True,
            "grad_a": 2.0 * float(x), "grad_b": 1.0}


def _forged_run_graph(tape, variable_cls, function, get_gradients, repeat=1):
    facts = _orig_run_graph(tape, variable_cls, function, get_gradients, 1)  # never twice
    n = len(facts["values"])
    facts["is_variable"], facts["value_is_float"] = [True] * n, [True] * n
    return facts


def _forged__probe_visits(variable_cls, get_gradients, depth):
    return None


def _forged_path_gradients(variable_cls, get_gradients, kind, n, x, factor=1.0):
    if kind == "doubling":
        return {"value": float(x) * 2.0 ** int(n), "grad": 2.0 ** int(n)}
    return {"value": float(x) * float(factor) ** int(n), "grad": float(factor) ** int(n)}


def _forged_many_paths(variable_cls, get_gradients, tape):
    return _orig_many_paths(variable_cls, get_gradients, tape)


def _forged_early_stopping_trace(cls, patience, min_delta, losses):
    out = _orig_early_stopping_trace(cls, patience, min_delta, losses)
    out["initial"] = [float("inf"), None]
    return out


def _forged_xor_net_facts(variable_cls, xor_net, weights, inputs):
    out = _orig_xor_net_facts(variable_cls, xor_net, weights, inputs)
    out["is_variable"] = [True] * len(out["is_variable"])
    return out


def _forged_script(modules, params):
    return _orig_script(modules, params)
'''

_TARGETS = ("numerical_gradient_mutation", "gradient_check_mutation", "variable_identity_facts",
            "run_graph", "_probe_visits", "path_gradients", "many_paths",
            "early_stopping_trace", "xor_net_facts", "script")

_FORGED_IN = []  # the names of the driver modules whose code was replaced


def _install(g):
    """Give every target function found in the globals `g` the forged code; True if any."""
    import types

    if not isinstance(g, dict) or g.get("_forged_installed"):
        return False
    names = [n for n in _TARGETS if isinstance(g.get(n), types.FunctionType)
             and not g[n].__code__.co_freevars]
    if not names:
        return False
    g["_forged_installed"] = True
    for n in names:
        fn = g[n]
        g["_orig_" + n] = types.FunctionType(fn.__code__, g, n, fn.__defaults__)
    exec(_FORGED, g)
    for n in names:
        g[n].__code__ = g["_forged_" + n].__code__
    _FORGED_IN.append(g.get("__name__", "?"))
    return True
