"""The browser tests' shared page fixture: a module that defines `shared` (one loaded page per
mode, `pagetools.shared_tab`) and `reset(tab)` (how it puts that page back to a clean state)
gets `tab`, the shared page reset before each test."""

from __future__ import annotations

import pytest
from pagetools import Tab


@pytest.fixture
def tab(shared, request) -> Tab:
    """The module's shared page, back to a clean state by the module's own `reset`."""
    request.module.reset(shared)
    return shared
