"""Wire compatibility: our schema against the descriptors shipped in the published reference client.

Runs in the ``compat`` tox env, where ``scitrera_aether_client`` is the published reference
package (same import name as ours, so our SDK must not be installed there). Our
``schema/aether/v1/aether.proto`` is compiled with grpc_tools.protoc into a FileDescriptorSet and
compared as plain ``FileDescriptorProto`` data; it is never loaded into a descriptor pool, so it
cannot clash with the reference's ``aether.v1`` in the default pool.

Every message (nested ones and map entries included), field, enum, enum value and service method
that we declare must exist in the reference with the same number, type, label, referenced type,
oneof membership, presence and map-ness. Things the reference has and we omit are fine.

Our own extensions (the delivery extension) are the one exception, and they are fenced: a field or
oneof arm of ours that aether.v1 lacks must be numbered EXTENSION_FLOOR (1000) or more, and a
message aether.v1 lacks may only be reached through such fields. aether.v1 itself uses nothing
above 61, so these can never collide with a peer that does not speak the extension.

Outside the compat env (our SDK installed instead of the reference) the comparison is skipped; it
fails instead when run with tests/compat/pytest.ini (as tox -e compat does) or with
``AETHER_COMPAT_REQUIRED`` set. The self-tests, which prove the comparison can fail, always run.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

REFERENCE_DIST = "scitrera-aether-client"
REFERENCE_VERSION = "0.2.3"
REQUIRED_ENV = "AETHER_COMPAT_REQUIRED"
SCHEMA_ROOT = Path(__file__).resolve().parents[2] / "schema"
SCHEMA_FILE = "aether/v1/aether.proto"
EXTENSION_FLOOR = 1000

FileProto = descriptor_pb2.FileDescriptorProto
MessageProto = descriptor_pb2.DescriptorProto
FieldProto = descriptor_pb2.FieldDescriptorProto
EnumProto = descriptor_pb2.EnumDescriptorProto


@dataclass
class Report:
    """What was compared, and every difference found."""

    messages: int = 0
    map_entries: int = 0
    fields: int = 0
    enums: int = 0
    enum_values: int = 0
    methods: int = 0
    extension_fields: int = 0
    extension_messages: int = 0
    mismatches: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"compared {self.messages} messages ({self.map_entries} of them map entries), "
            f"{self.fields} fields, {self.enums} enums, {self.enum_values} enum values, "
            f"{self.methods} service methods; extensions of ours (>= {EXTENSION_FLOOR}): "
            f"{self.extension_fields} fields, {self.extension_messages} messages: "
            f"{len(self.mismatches)} mismatches"
        )


# --- loading ------------------------------------------------------------------------------------


def compile_schema(out_dir: Path, schema_root: Path = SCHEMA_ROOT) -> FileProto:
    """Our proto as protoc sees it, via --descriptor_set_out (no Python code is generated)."""
    from grpc_tools import protoc

    well_known = importlib.resources.files("grpc_tools") / "_proto"
    out = out_dir / "aether.pb"
    argv = [
        "grpc_tools.protoc",
        f"-I{schema_root}",
        f"-I{well_known}",
        f"--descriptor_set_out={out}",
        SCHEMA_FILE,
    ]
    status = protoc.main(argv)
    assert status == 0, f"protoc failed ({status}) on {schema_root / SCHEMA_FILE}"
    descriptor_set = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    (ours,) = [f for f in descriptor_set.file if f.name == SCHEMA_FILE]
    return ours


def reference_descriptor() -> FileProto:
    """The published client's aether.v1 file descriptor, as a FileDescriptorProto."""
    from scitrera_aether_client.proto import aether_pb2

    theirs = FileProto()
    aether_pb2.DESCRIPTOR.CopyToProto(theirs)
    return theirs


# --- comparison ---------------------------------------------------------------------------------


def _messages(prefix: str, messages: Iterable[MessageProto]) -> Iterator[tuple[str, MessageProto]]:
    for message in messages:
        name = f"{prefix}.{message.name}"
        yield name, message
        yield from _messages(name, message.nested_type)


def _enums(
    prefix: str, enums: Iterable[EnumProto], messages: Iterable[MessageProto]
) -> Iterator[tuple[str, EnumProto]]:
    for enum in enums:
        yield f"{prefix}.{enum.name}", enum
    for message in messages:
        yield from _enums(f"{prefix}.{message.name}", message.enum_type, message.nested_type)


def _index(file: FileProto) -> tuple[dict[str, MessageProto], dict[str, EnumProto]]:
    root = f".{file.package}" if file.package else ""
    return (
        dict(_messages(root, file.message_type)),
        dict(_enums(root, file.enum_type, file.message_type)),
    )


def _field_facts(
    message: MessageProto, fld: FieldProto, messages: dict[str, MessageProto]
) -> dict[str, object]:
    """The properties of a field that the wire format and the generated API depend on."""
    target = messages.get(fld.type_name) if fld.type == FieldProto.TYPE_MESSAGE else None
    return {
        "number": fld.number,
        "type": FieldProto.Type.Name(fld.type),
        "label": FieldProto.Label.Name(fld.label),
        "type_name": fld.type_name or None,
        "oneof": (
            message.oneof_decl[fld.oneof_index].name if fld.HasField("oneof_index") else None
        ),
        "proto3_optional": fld.proto3_optional,
        "map": bool(target is not None and target.options.map_entry),
    }


def _extension_messages(ours: dict[str, MessageProto], theirs: dict[str, MessageProto]) -> set[str]:
    """Messages of ours that aether.v1 lacks and that only extension fields (>= 1000) reach,
    directly or through other such messages."""
    missing = {name for name in ours if name not in theirs}
    reached_by_wire: set[str] = set()  # missing messages that a field below the floor reaches
    for name, message in ours.items():
        if name in missing:
            continue
        for fld in message.field:
            if fld.number < EXTENSION_FLOOR and fld.type_name in missing:
                reached_by_wire.add(fld.type_name)
    return missing - reached_by_wire


def compare_files(ours: FileProto, theirs: FileProto) -> Report:
    """Every declaration in ``ours`` must match ``theirs``; extra declarations there are ignored."""
    report = Report()
    miss = report.mismatches.append
    if ours.package != theirs.package:
        miss(f"package: ours={ours.package!r} reference={theirs.package!r}")
    if ours.syntax != theirs.syntax:
        miss(f"syntax: ours={ours.syntax!r} reference={theirs.syntax!r}")

    our_messages, our_enums = _index(ours)
    their_messages, their_enums = _index(theirs)
    extension_only = _extension_messages(our_messages, their_messages)

    for name, message in our_messages.items():
        report.messages += 1
        report.map_entries += message.options.map_entry
        other = their_messages.get(name)
        if other is None:
            if name in extension_only:
                report.extension_messages += 1
                report.fields += len(message.field)
            else:
                miss(f"message {name}: not in the reference")
            continue
        if message.options.map_entry != other.options.map_entry:
            miss(
                f"message {name}: map_entry ours={message.options.map_entry} "
                f"reference={other.options.map_entry}"
            )
        their_fields = {f.name: f for f in other.field}
        their_numbers = {f.number for f in other.field}
        for fld in message.field:
            report.fields += 1
            other_fld = their_fields.get(fld.name)
            if other_fld is None:
                if fld.number >= EXTENSION_FLOOR and fld.number not in their_numbers:
                    report.extension_fields += 1
                else:
                    miss(f"field {name}.{fld.name} (= {fld.number}): not in the reference")
                continue
            mine = _field_facts(message, fld, our_messages)
            ref = _field_facts(other, other_fld, their_messages)
            for key, value in mine.items():
                if value != ref[key]:
                    miss(f"field {name}.{fld.name}: {key} ours={value!r} reference={ref[key]!r}")

    for name, enum in our_enums.items():
        report.enums += 1
        other_enum = their_enums.get(name)
        if other_enum is None:
            miss(f"enum {name}: not in the reference")
            report.enum_values += len(enum.value)
            continue
        their_values = {v.name: v.number for v in other_enum.value}
        for value in enum.value:
            report.enum_values += 1
            if value.name not in their_values:
                miss(f"enum value {name}.{value.name} (= {value.number}): not in the reference")
            elif their_values[value.name] != value.number:
                miss(
                    f"enum value {name}.{value.name}: number ours={value.number} "
                    f"reference={their_values[value.name]}"
                )

    their_services = {s.name: s for s in theirs.service}
    for service in ours.service:
        other_service = their_services.get(service.name)
        their_methods = {m.name: m for m in other_service.method} if other_service else {}
        if other_service is None:
            miss(f"service {service.name}: not in the reference")
        for method in service.method:
            report.methods += 1
            other_method = their_methods.get(method.name)
            if other_method is None:
                if other_service is not None:
                    miss(f"method {service.name}.{method.name}: not in the reference")
                continue
            for key in ("input_type", "output_type", "client_streaming", "server_streaming"):
                mine_value, ref_value = getattr(method, key), getattr(other_method, key)
                if mine_value != ref_value:
                    miss(
                        f"method {service.name}.{method.name}: {key} "
                        f"ours={mine_value!r} reference={ref_value!r}"
                    )
    return report


# --- tests --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> FileProto:
    return compile_schema(tmp_path_factory.mktemp("descriptors"))


def _require_reference(config: pytest.Config) -> None:
    try:
        installed: str | None = importlib.metadata.version(REFERENCE_DIST)
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed == REFERENCE_VERSION:
        return
    reason = (
        f"needs the published {REFERENCE_DIST}=={REFERENCE_VERSION} instead of our SDK "
        f"(found {installed}); run: tox -e compat"
    )
    # Under the compat env's own ini file a missing reference is an error, never a silent skip.
    compat_ini = Path(__file__).with_name("pytest.ini")
    if os.environ.get(REQUIRED_ENV) or config.inipath == compat_ini:
        pytest.fail(reason)
    pytest.skip(reason)


def test_schema_matches_the_published_descriptors(
    ours: FileProto, pytestconfig: pytest.Config
) -> None:
    _require_reference(pytestconfig)
    report = compare_files(ours, reference_descriptor())
    print(f"\nwire compat vs {REFERENCE_DIST} {REFERENCE_VERSION}: {report.summary()}")
    for line in report.mismatches:
        print(f"  MISMATCH {line}")
    assert report.messages > 0
    assert report.fields > 0
    assert report.methods > 0
    assert not report.mismatches, "\n".join(report.mismatches)


# Self-tests: the comparison must be able to fail. Each alteration breaks one fact in a copy.


def _message(file: FileProto, name: str) -> MessageProto:
    (found,) = [m for m in file.message_type if m.name == name]
    return found


def _field(message: MessageProto, name: str) -> FieldProto:
    (found,) = [f for f in message.field if f.name == name]
    return found


def _shift_number(file: FileProto) -> None:
    _field(_message(file, "InitConnection"), "credentials").number += 100


def _retarget(file: FileProto) -> None:
    _field(_message(file, "UpstreamMessage"), "init").type_name = ".aether.v1.SendMessage"


def _make_repeated(file: FileProto) -> None:
    _field(_message(file, "ErrorResponse"), "code").label = FieldProto.LABEL_REPEATED


def _change_type(file: FileProto) -> None:
    _field(_message(file, "ErrorResponse"), "retry_after_ms").type = FieldProto.TYPE_INT32


def _leave_oneof(file: FileProto) -> None:
    _field(_message(file, "UpstreamMessage"), "send").ClearField("oneof_index")


def _unmap(file: FileProto) -> None:
    (entry,) = [
        m for m in _message(file, "InitConnection").nested_type if m.name == "CredentialsEntry"
    ]
    entry.options.map_entry = False


def _renumber_enum_value(file: FileProto) -> None:
    (enum,) = [e for e in file.enum_type if e.name == "MessageType"]
    enum.value[1].number += 40


def _renumber_nested_enum_value(file: FileProto) -> None:
    enum = _message(file, "KVOperation").enum_type[0]
    enum.value[-1].number += 40


def _flip_streaming(file: FileProto) -> None:
    file.service[0].method[0].client_streaming = False


def _drop_message(file: FileProto) -> None:
    file.message_type.remove(_message(file, "ErrorResponse"))


def _extension_below_floor(file: FileProto) -> None:
    _field(_message(file, "SendMessage"), "message_id").number = 999


def _extension_reached_by_the_wire(file: FileProto) -> None:
    _field(_message(file, "SendMessage"), "authorization").type_name = ".aether.v1.SendConfirm"


def _strip_extensions(file: FileProto) -> None:
    """The reference's view: aether.v1 without anything of ours numbered 1000 or more."""
    names = {".aether.v1.DeliveryAck", ".aether.v1.SendConfirm", ".aether.v1.SendRefusal"}
    for message in list(file.message_type):
        if f".aether.v1.{message.name}" in names:
            file.message_type.remove(message)
            continue
        for fld in list(message.field):
            if fld.number >= EXTENSION_FLOOR:
                message.field.remove(fld)


ALTERATIONS: dict[str, tuple[Callable[[FileProto], None], str]] = {
    "field-number": (_shift_number, "InitConnection.credentials: number"),
    "type-name": (_retarget, "UpstreamMessage.init: type_name"),
    "label": (_make_repeated, "ErrorResponse.code: label"),
    "scalar-type": (_change_type, "ErrorResponse.retry_after_ms: type"),
    "oneof": (_leave_oneof, "UpstreamMessage.send: oneof"),
    "map": (_unmap, "InitConnection.credentials: map"),
    "enum-value": (_renumber_enum_value, "enum value .aether.v1.MessageType."),
    "nested-enum-value": (_renumber_nested_enum_value, "enum value .aether.v1.KVOperation."),
    "streaming": (_flip_streaming, "client_streaming"),
    "missing-message": (_drop_message, "message .aether.v1.ErrorResponse: not in the reference"),
}

# Alterations of OUR side against a reference without our extensions.
EXTENSION_ALTERATIONS: dict[str, tuple[Callable[[FileProto], None], str]] = {
    "extension-below-floor": (_extension_below_floor, "SendMessage.message_id (= 999)"),
    "extension-message-on-the-wire": (
        _extension_reached_by_the_wire,
        "message .aether.v1.SendConfirm: not in the reference",
    ),
}


def test_identical_descriptors_compare_clean(ours: FileProto) -> None:
    twin = FileProto()
    twin.CopyFrom(ours)
    report = compare_files(ours, twin)
    print(f"\nself-comparison: {report.summary()}")
    assert report.mismatches == []
    assert report.messages == len(_index(ours)[0])
    assert report.enums == len(_index(ours)[1])
    assert report.fields >= report.messages


@pytest.mark.parametrize("alteration", list(ALTERATIONS))
def test_an_altered_copy_is_reported(ours: FileProto, alteration: str) -> None:
    alter, expected = ALTERATIONS[alteration]
    altered = FileProto()
    altered.CopyFrom(ours)
    alter(altered)
    mismatches = compare_files(ours, altered).mismatches
    assert any(expected in line for line in mismatches), mismatches


def test_our_extensions_compare_clean_against_a_reference_without_them(ours: FileProto) -> None:
    reference = FileProto()
    reference.CopyFrom(ours)
    _strip_extensions(reference)
    report = compare_files(ours, reference)
    assert report.mismatches == []
    assert report.extension_fields >= 6  # message_id, redelivered, delivery_tag, 2 arms, ...
    assert report.extension_messages == 3


@pytest.mark.parametrize("alteration", list(EXTENSION_ALTERATIONS))
def test_an_extension_outside_its_fence_is_reported(ours: FileProto, alteration: str) -> None:
    alter, expected = EXTENSION_ALTERATIONS[alteration]
    reference = FileProto()
    reference.CopyFrom(ours)
    _strip_extensions(reference)
    altered = FileProto()
    altered.CopyFrom(ours)
    alter(altered)
    mismatches = compare_files(altered, reference).mismatches
    assert any(expected in line for line in mismatches), mismatches
