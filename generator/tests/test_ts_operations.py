"""The typescript target reads the same operation table and principal flags as the python one.

The TypeScript runtime takes its idempotency from generated/operations.ts (issue 11: it kept its
own copy of the idempotent KV and checkpoint sets), so that table must say what the python one
says for every op; and the client template chooses the extension identity arm by the model's
`extension_identity` flag, not by the message's name.
"""

from __future__ import annotations

import dataclasses
import re

from helpers import FIXTURE, REPO, model_from

from aether_codegen.render import render_typescript
from aether_codegen.render.ts_spelling import camel
from scitrera_aether_client._generated.operations import OPERATIONS

TS_TABLE = REPO / "packages" / "aether-client-ts" / "src" / "generated" / "operations.ts"
_ROW = re.compile(r'^  row\("(\w+)", (\d+), "(\w+)", "(\w+)", (true|false), (true|false)\),$', re.M)


def test_the_typescript_table_says_what_the_python_table_says() -> None:
    rows = _ROW.findall(TS_TABLE.read_text())
    ts = {
        (arm, int(op)): (name, kind, idem == "true", served == "true")
        for arm, op, name, kind, idem, served in rows
    }
    python = {
        (camel(s.arm), s.op): (s.name, s.kind, s.idempotent, s.served) for s in OPERATIONS.values()
    }
    assert ts == python
    assert ts[("kvOp", 0)][2] and not ts[("kvOp", 1)][2]  # GET resent, PUT not
    assert ts[("adminQuery", 0)][2]  # health, an admin read, resent too


def _clients(extension: bool) -> str:
    model = model_from(FIXTURE, (FIXTURE / "principals.yaml").read_text())
    principals = tuple(
        dataclasses.replace(p, extension_identity=extension) if p.key == "probe" else p
        for p in model.principals
    )
    files = render_typescript(dataclasses.replace(model, principals=principals), "generated")
    return files["generated/clients.ts"]


def test_the_extension_flag_not_the_message_name_picks_the_extension_identity() -> None:
    # The probe rides the bridge arm; flagged as an extension principal, its identity (whatever
    # message the model names) travels in PrincipalIdentity with its key.
    flagged = _clients(True)
    assert "value: create(PrincipalIdentitySchema, {" in flagged
    assert 'principalType: "probe",' in flagged
    plain = _clients(False)
    assert "PrincipalIdentitySchema" not in plain
