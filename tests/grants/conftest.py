"""Finance stories: side effects (payment advice, e-mails) run as after a commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from applications import demo


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """`with committed(): ...` runs what would run after the commit (the tasks' side effects)."""

    @contextmanager
    def block() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return block


@pytest.fixture
def drive(cast: demo.Cast, committed: Callable[..., Any]) -> Callable[..., Any]:
    """demo.drive with the side effects of every step, as in production."""

    def run(*args: Any, **kwargs: Any) -> Any:
        with committed():
            return demo.drive(cast, *args, **kwargs)

    return run
