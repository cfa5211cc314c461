"""nngrade: autograded exercises for a neural-network course."""
__version__ = "0.1.0"
