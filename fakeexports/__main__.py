"""``python -m fakeexports serve``."""

import sys

from .cli import main

sys.exit(main())
