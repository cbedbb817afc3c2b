"""Fixtures for the engine-layer tests."""

from __future__ import annotations

import pytest

from bpmn import Bundle
from tests.bpmn.helpers import bundle_of


@pytest.fixture
def ten_user_tasks() -> Bundle:
    return bundle_of("ten_user_tasks.bpmn")
