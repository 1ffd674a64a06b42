"""ProgressReport -> ProgressUpdate on the progress lanes."""

from __future__ import annotations

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AsyncAgentClient, AsyncUserClient
from scitrera_aether_client.proto import aether_pb2

from ._support import Inbox, barrier, errors


def progress(client: AsyncAgentClient | AsyncUserClient) -> Inbox[aether_pb2.ProgressUpdate]:
    inbox: Inbox[aether_pb2.ProgressUpdate] = Inbox()
    client.on_progress = inbox
    return inbox


async def test_progress_reaches_the_workspace(gateway: EmbeddedGateway, opened) -> None:
    reporter = await opened(AsyncAgentClient("ws", "bot", "reporter"), gateway.target)
    peer = await opened(AsyncAgentClient("ws", "bot", "peer"), gateway.target)
    user = await opened(AsyncUserClient("mia", "w1"), gateway.target)
    got_peer, got_user = progress(peer), progress(user)
    await user.switch_workspace("ws")
    await barrier(user)
    await reporter.report_progress("t1", completion=0.5, summary="halfway", step_name="parse")
    for inbox in (got_peer, got_user):
        update = await inbox.wait_for()
        assert update.source == "ag::ws::bot::reporter" and update.summary == "halfway"
        assert update.completion == 0.5 and update.step.name == "parse"
        assert update.workspace == "ws"


async def test_progress_for_a_user_goes_to_its_user_lane(gateway: EmbeddedGateway, opened) -> None:
    user = await opened(AsyncUserClient("noah", "w1"), gateway.target)
    got = progress(user)
    reporter = await opened(AsyncAgentClient("ws", "bot", "to-user"), gateway.target)
    await reporter.report_progress("t2", summary="for noah", recipient="us::noah::w1")
    update = await got.wait_for()
    assert update.summary == "for noah" and update.recipient == "us::noah::w1"


async def test_users_may_not_report_progress(gateway: EmbeddedGateway, opened) -> None:
    user = await opened(AsyncUserClient("olga", "w1"), gateway.target)
    failures = errors(user)
    await user.report_progress("t3")
    assert (await failures.wait_for()).code == "ERR_INVALID_PRINCIPAL"


async def test_a_reporter_does_not_receive_its_own_progress(
    gateway: EmbeddedGateway, opened
) -> None:
    reporter = await opened(AsyncAgentClient("ws", "bot", "self-report"), gateway.target)
    peer = await opened(AsyncAgentClient("ws", "bot", "witness"), gateway.target)
    mine, theirs = progress(reporter), progress(peer)
    await reporter.report_progress("t4", summary="own")
    await theirs.wait_for()
    await peer.report_progress("t4", summary="marker")
    await mine.wait_for(lambda u: u.summary == "marker")
    assert [u.summary for u in mine.items] == ["marker"]


async def test_progress_with_a_recipient_reaches_only_that_recipient(
    gateway: EmbeddedGateway, opened
) -> None:
    reporter = await opened(AsyncAgentClient("ws", "bot", "addresser"), gateway.target)
    addressee = await opened(AsyncAgentClient("ws", "bot", "addressee"), gateway.target)
    bystander = await opened(AsyncAgentClient("ws", "bot", "bystander"), gateway.target)
    got_addressee, got_bystander = progress(addressee), progress(bystander)
    await reporter.report_progress("t5", summary="private", recipient="ag::ws::bot::addressee")
    await reporter.report_progress("t5", summary="public")
    await got_addressee.wait_for(lambda u: u.summary == "public")
    await got_bystander.wait_for(lambda u: u.summary == "public")
    assert [u.summary for u in got_addressee.items] == ["private", "public"]
    assert [u.summary for u in got_bystander.items] == ["public"]
