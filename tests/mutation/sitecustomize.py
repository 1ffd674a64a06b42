"""Plants the fault named by AETHER_MUTANT in every Python process that starts with this folder on
PYTHONPATH: the pytest run under test and the gateway subprocesses it launches alike.

Only tests/mutation/test_mutants.py sets these variables; a normal run never imports this file.
"""

from __future__ import annotations

import importlib
import os

_name = os.environ.get("AETHER_MUTANT", "")
if _name:
    importlib.import_module(f"mutants.{_name}").plant()
