"""``python -m bot.proxy``: runs :func:`bot.proxy.cli.main`."""

import sys

from bot.proxy.cli import main

sys.exit(main())
