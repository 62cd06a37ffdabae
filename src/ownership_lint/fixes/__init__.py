"""Fixes as data (``actions``) and the libcst pass that applies them (``apply``).

``apply`` is imported on demand: a plain check never loads libcst.
"""
