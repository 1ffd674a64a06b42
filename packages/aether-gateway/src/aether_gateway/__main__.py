"""`python -m aether_gateway serve ...`."""

from aether_gateway.cli import main

raise SystemExit(main())
