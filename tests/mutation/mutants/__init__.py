"""Planted faults. Each module is one mutant and defines:

- ``FAULT``: one sentence saying what breaks;
- ``CAUGHT_BY``: pytest node ids (relative to the repository root) of which at least one must fail
  while the fault is planted;
- ``plant()``: applies the fault by monkeypatching product code at interpreter start. It runs in
  every process of the mutated run (pytest and any gateway subprocess), before any test imports,
  so patch the attribute that callers look up at call time (a method on a class, a module
  function called through its module), not a name another module already copied.
"""
