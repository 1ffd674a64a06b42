"""Pure pieces of the HTTP proxy: URL mapping, chunking, header merging, error attributes."""

from __future__ import annotations

import pytest
import requests

from scitrera_aether_client.exceptions import AetherError, InvalidArgumentError
from scitrera_aether_client.http._frames import ChunkAssembler, chunk_frames, split_body
from scitrera_aether_client.http.proxy import ProxyError, build_authorization, merge_headers
from scitrera_aether_client.http.requests_adapter import parse_aether_url
from scitrera_aether_client.proto import aether_pb2


@pytest.mark.parametrize(
    ("url", "target", "path"),
    [
        ("aether+sv://memorylayer--default/v1/x?q=1", "sv::memorylayer::default", "/v1/x?q=1"),
        ("aether+sv://memorylayer/v1/x", "sv::memorylayer", "/v1/x"),
        ("aether+sv://memorylayer", "sv::memorylayer", "/"),
        ("aether+sv://a--b--c/", "sv::a::b--c", "/"),  # only the first -- splits
        ("aether+sv://my%2D%2Dsvc--a/p", "sv::my--svc::a", "/p"),
        ("aether+sv://sv::impl::spec/p", "sv::impl::spec", "/p"),
        ("AETHER+SV://impl/p%20q", "sv::impl", "/p%20q"),
    ],
)
def test_requests_urls_map_to_service_topics(url: str, target: str, path: str) -> None:
    assert parse_aether_url(url) == (target, path)


@pytest.mark.parametrize(
    "url", ["http://impl/x", "aether+sv:///x", "aether+sv://--spec/x", "aether+sv://impl--/x"]
)
def test_bad_requests_urls(url: str) -> None:
    with pytest.raises(requests.exceptions.InvalidURL):
        parse_aether_url(url)


def test_chunks_reassemble_in_any_order() -> None:
    body = bytes(range(256)) * 1000
    frames = chunk_frames("r", body, is_request=True, size=1000)
    assert len(frames) == 256 and frames[-1].proxy_http_body_chunk.fin
    assembler = ChunkAssembler()
    done = [assembler.add(f.proxy_http_body_chunk) for f in reversed(frames)]
    assert done[-1] and not any(done[:-1])
    assert assembler.body() == body and assembler.size == len(body)
    assert list(split_body(b"", 10)) == [(0, b"", True)]  # an empty chunked body is one fin chunk


def test_headers_merge_repeated_names() -> None:
    assert merge_headers([("A", "1"), ("a", "2"), ("B", "3")]) == {"A": "1, 2", "B": "3"}
    assert merge_headers({"x": "y"}) == {"x": "y"}
    with pytest.raises(InvalidArgumentError):
        merge_headers([("x", 1)])  # type: ignore[list-item]


def test_proxy_error_attributes() -> None:
    error = ProxyError.from_proto(
        aether_pb2.ProxyError(kind=aether_pb2.ProxyError.ACL_DENIED, message="no"), "r1"
    )
    assert isinstance(error, AetherError)
    assert (error.kind, error.kind_name, error.code, error.request_id) == (
        4,
        "ACL_DENIED",
        "ACL_DENIED",
        "r1",
    )
    assert ProxyError("x", 99).kind_name == "KIND_99"


def test_obo_shorthand() -> None:
    auth = build_authorization(None, "on_behalf_of", "user", "alice", "g1")
    assert auth is not None
    assert (auth.authority_mode, auth.subject.principal_id, auth.grant_id) == (
        "on_behalf_of",
        "alice",
        "g1",
    )
    assert build_authorization() is None


@pytest.mark.parametrize(
    ("module", "extra"),
    [("http.httpx_transport", "httpx"), ("http.requests_adapter", "requests")],
)
def test_missing_optional_dependency_names_the_extra(module: str, extra: str) -> None:
    import subprocess
    import sys

    code = f"import sys; sys.modules[{extra!r}] = None\nimport scitrera_aether_client.{module}\n"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode != 0
    assert f"pip install scitrera-aether-client[{extra}]" in run.stderr
