"""``python -m bot.cli …``: the same as ``carebot …``."""

import sys

from bot.cli.main import main

sys.exit(main())
