"""End-to-end tests of the embedded gateway (issue 3) over real gRPC on 127.0.0.1."""
