"""Reuse an instructor notebook's functions from a script (benchmarks) without running it.

The loader lives in ``course_utils.reuse`` (students use it too, as ``cu.from_notebook``);
this name stays for the benchmarks.
"""
from course_utils.reuse import definitions

__all__ = ["definitions"]
