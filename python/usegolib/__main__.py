"""``python -m usegolib``: the command line."""

from usegolib.cli import main

raise SystemExit(main())
