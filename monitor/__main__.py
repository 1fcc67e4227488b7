"""`python -m monitor` is the same as the `press-monitor` console script."""

from monitor.cli import main

# Guarded: a worker process (multiprocessing "spawn") imports this module again as __mp_main__.
if __name__ == "__main__":
    raise SystemExit(main())
