"""Helpers for testing code that uses the SDK: throwaway TLS material (needs ``cryptography``)."""

from scitrera_aether_client.testing.certs import TestPKI, make_test_pki

__all__ = ["TestPKI", "make_test_pki"]
