"""`pip install` of the generated package ships everything a user imports (built, not installed)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_sdk_wheel_contains_generated_layer_and_type_information(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO / "packages" / "scitrera-aether-client"),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("scitrera_aether_client-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    pkg = "scitrera_aether_client/"
    for required in (
        "py.typed",
        "proto/aether_pb2.py",
        "proto/aether_pb2.pyi",
        "proto/aether_pb2_grpc.py",
        "_generated/clients.py",
        "_generated/clients_async.py",
        "_generated/principals.py",
        "client.py",
        "client_async.py",
        "_common.py",
    ):
        assert pkg + required in names, required
