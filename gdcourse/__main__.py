"""`python -m gdcourse` is the same as the `gdcourse` command."""

import sys

from .cli import main

sys.exit(main())
