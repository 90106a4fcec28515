"""`python -m stackops`, the same as the `stackops` command."""

from stackops.cli import main

raise SystemExit(main())
