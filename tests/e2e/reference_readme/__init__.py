"""The reference client's README (scitrera-aether-client 0.1.59), snippet by snippet, run against
our SDK and the embedded gateway. ``tests/e2e/test_reference_readme.py`` holds the index: which
test mirrors which of the 27 Python snippets."""
