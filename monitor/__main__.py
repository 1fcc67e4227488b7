"""`python -m monitor` is the same as the `press-monitor` console script."""

from monitor.cli import main

raise SystemExit(main())
