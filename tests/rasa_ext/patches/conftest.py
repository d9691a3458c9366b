"""The patch tests compare each patch with Rasa's own function: the patches are applied here,
explicitly (importing carebot's modules applies nothing)."""

from __future__ import annotations

import pytest

from bot.rasa_ext import patches


@pytest.fixture(autouse=True, scope="package")
def applied() -> None:
    patches.apply()
