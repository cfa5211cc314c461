# Appended to solutions/autodiff.py; not run on its own. Two classic mistakes in one walk:
# a recursive topological sort (fails on a deep chain) and micrograd's `.grad` attribute,
# never reset (a second call on the same graph adds to the first).


def get_gradients(variable):
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for child, _ in node.local_gradients:
            visit(child)
        order.append(node)

    visit(variable)
    variable.grad = getattr(variable, "grad", 0.0) + 1.0
    for node in reversed(order):
        for child, local in node.local_gradients:
            child.grad = getattr(child, "grad", 0.0) + node.grad * local
    return {node: node.grad for node in order}
