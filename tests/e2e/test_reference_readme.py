"""Index of the reference README's Python snippets and the test that runs each.

The contract of our SDK is the README of the reference client scitrera-aether-client 0.1.59 (its
PKG-INFO long description). It has 27 ```python blocks; each runs as written in one test under
tests/e2e/reference_readme/, against our SDK and the embedded gateway, and asserts the effect the
snippet shows: a delivery (payload and source topic at a receiver of the right principal type), a
stored value read back, or, where our gateway refuses the snippet on purpose, the exact refusal
(docs/sdk.md, "Reference README snippets our gateway refuses"). What a test may change in a
snippet: the gateway address, placeholders the README leaves to the reader (`...`, `payload`,
`api_key`, `aether_client`, certificate paths and bytes, "my-admin-key", session "abc-123"),
endless waits (bounded by a condition), and `asyncio.run(main())` (awaited: pytest runs a loop).

 #  README heading                        test (in tests/e2e/reference_readme/)
 1  Quick Start / Synchronous Client      test_quick_start.py::test_01_sync_client
 2  Quick Start / Asynchronous Client     test_quick_start.py::test_02_async_client
 3  Quick Start / Async Context Manager   test_quick_start.py::test_03_async_context_manager
 4  Client Types / AgentClient            test_client_types.py::test_04_agent_client
 5  Client Types / TaskClient             test_client_types.py::test_05_task_client
 6  Client Types / UserClient             test_client_types.py::test_06_user_client
 7  Client Types / OrchestratorClient     test_client_types.py::test_07_orchestrator_client
 8  Client Types / WorkflowEngineClient   test_client_types.py::test_08_workflow_engine_client
 9  Client Types / MetricsBridgeClient    test_client_types.py::test_09_metrics_bridge_client
10  Client Types / ServiceClient          test_client_types.py::test_10_service_client
11  Callbacks (sync and async forms)      test_messaging.py::test_11_callback_forms
12  Messaging / Message Types             test_messaging.py::test_12_message_types
13  Messaging / Sending Messages          test_messaging.py::test_13_sending_messages
14  KV Operations / Synchronous Client  test_storage_and_tasks.py::test_14_sync_kv
15  KV Operations / Async Client KV       test_storage_and_tasks.py::test_15_async_kv
16  Task Creation                         test_storage_and_tasks.py::test_16_task_creation
17  Checkpointing / Synchronous           test_storage_and_tasks.py::test_17_sync_checkpoints
18  Checkpointing / Asynchronous          test_storage_and_tasks.py::test_18_async_checkpoints
19  Admin Operations / Synchronous        test_admin_snippets.py::test_19_sync_admin
20  Admin Operations / Asynchronous       test_admin_snippets.py::test_20_async_admin
21  Connection Configuration              test_config_and_tls.py::test_21_connection_configuration
22  Workspace Switching                   test_config_and_tls.py::test_22_workspace_switching
23  Constants                             test_config_and_tls.py::test_23_constants
24  TLS Configuration                     test_config_and_tls.py::test_24_tls_configuration
25  Proxy (httpx transport)               test_proxy_snippets.py::test_25_httpx_sync_transport
26  Proxy (async httpx transport)         test_proxy_snippets.py::test_26_httpx_async_transport
27  Proxy (requests adapter)              test_proxy_snippets.py::test_27_requests_adapter

Refused on purpose: 16 (the dotted TARGETED id: ERR_INVALID_IDENTIFIER; POOL without an
implementation: ERR_INVALID_ARGUMENT), 22 (an agent's or task's switch_workspace:
ERR_INVALID_PRINCIPAL). 13's JSON send_metric is converted to a Metric by the SDK and delivered.
The README's shell block "Run examples" is covered by reference_readme/test_examples.py.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "reference_readme"
README_SNIPPETS = 27
_ROW = re.compile(r"^\s*(\d+)\s{2,}(.+?)\s{2,}(test_\w+\.py)::(test_\w+)\s*$", re.MULTILINE)


def _table() -> list[tuple[int, str, str, str]]:
    assert __doc__ is not None
    return [(int(n), heading, module, test) for n, heading, module, test in _ROW.findall(__doc__)]


def _tests_in(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / module).read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_the_index_lists_every_snippet_once() -> None:
    rows = _table()
    assert [n for n, *_ in rows] == list(range(1, README_SNIPPETS + 1))
    for n, _heading, module, test in rows:
        assert test.startswith(f"test_{n:02d}_"), (n, test)
        assert test in _tests_in(module), f"snippet {n}: no {module}::{test}"


def test_every_snippet_test_is_in_the_index() -> None:
    """A numbered test nobody indexed would mean a snippet counted twice or a stale table."""
    listed = {(module, test) for _n, _h, module, test in _table()}
    numbered = {
        (path.name, test)
        for path in PACKAGE.glob("test_*.py")
        for test in _tests_in(path.name)
        if re.match(r"test_\d{2}_", test)
    }
    assert numbered == listed
