"""Every state of both machines is reachable through the real services."""

import pytest

from applications.models import ApplicationStatus
from demo import builders as demo
from grants.models import GrantStatus
from workflows.audit import verify_chain


@pytest.mark.parametrize("state", list(ApplicationStatus.values))
def test_every_application_state_is_reachable(cast, state):
    application = demo.drive(cast, state)
    assert application.status == state


@pytest.mark.parametrize("state", list(GrantStatus.values))
def test_every_grant_state_is_reachable(cast, state):
    application = demo.drive(cast, "approved", state)
    assert application.grant.status == state
    assert verify_chain().ok
