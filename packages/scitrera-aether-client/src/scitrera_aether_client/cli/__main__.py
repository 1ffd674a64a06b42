"""`python -m scitrera_aether_client.cli`: the `aether` command."""

from scitrera_aether_client.cli import main

raise SystemExit(main())
