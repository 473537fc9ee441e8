"""The side effect of a stored message: telling the other side by e-mail (registered for the
event `services.MESSAGE_WRITTEN`, run after the message's transaction commits, retried while it
fails; the message itself is never touched)."""

from __future__ import annotations

from conversations import services
from workflows import effects


@effects.on_event(services.MESSAGE_WRITTEN)
def tell_the_other_side(*, message_id: int) -> None:
    services.tell_the_other_side(message_id)
