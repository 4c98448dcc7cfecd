"""``python -m syncengine``: see :mod:`syncengine.cli`."""

from __future__ import annotations

import sys

from syncengine.cli import main

sys.exit(main())
