"""`/leads track` after its ack: whatever goes wrong on leadmover's side, the person hears back in words."""

from __future__ import annotations

from bot.services import Services
from handlers import track
from tests.bolt_requests import ListenerWork, ResponseUrl, SlackSends


class _Broken:
    def track(self, **_: object) -> object:
        raise RuntimeError("the database went away")


def test_a_fault_after_the_ack_is_answered_in_words(services: Services, sends: SlackSends, work: ListenerWork) -> None:
    services.tracking = _Broken()  # type: ignore[assignment]  # a fault inside leadmover has no real stand-in
    with ResponseUrl() as response_url:
        response = sends.command(f"track {'a' * 24}", response_url=response_url.url)
        assert response.status == 200
        work.join()
        [said] = response_url.wait_for(1)
    assert said["response_type"] == "ephemeral"
    assert said["text"] == track.FAILED
