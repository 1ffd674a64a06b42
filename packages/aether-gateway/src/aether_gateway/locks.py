"""Identity locks: one live session per identity, with resume, in one process."""

from __future__ import annotations

import time
from dataclasses import dataclass


class DuplicateIdentity(Exception):
    pass


class ResumeRefused(Exception):
    """resume_session_id names a session another credential opened (-> PERMISSION_DENIED)."""


@dataclass
class LockState:
    session_id: str
    initial_connection_unix_ms: int
    reconnection_count: int
    credential: str = ""  # who authenticated the session ("key:<id>", "cert:<sha256>", ...)


@dataclass(frozen=True, slots=True)
class Acquired:
    resumed: bool
    initial_connection_unix_ms: int
    reconnection_count: int
    displaced_session: str  # the session that lost the lock to a resume ("" if none)


class LockTable:
    def __init__(self, history_max: int = 10_000) -> None:
        self._locks: dict[str, LockState] = {}
        # Last holder of each released identity, so a resume after EOF still counts; oldest
        # first and bounded, or every identity ever seen would stay in memory.
        self._history: dict[str, LockState] = {}
        self._history_max = history_max

    def acquire(
        self, identity: str, session_id: str, resume_session_id: str, credential: str = ""
    ) -> Acquired:
        """Take the lock, or take it over when the caller resumes the holder's session.

        Only the credential that opened a session may resume it: a resume presenting another
        one raises ResumeRefused and leaves the holder in place.
        """
        now = int(time.time() * 1000)
        held = self._locks.get(identity)
        if held is None:
            last = self._history.get(identity)
            if resume_session_id and last is not None and last.session_id == resume_session_id:
                _same_credential(last, credential)
                state = LockState(
                    session_id,
                    last.initial_connection_unix_ms,
                    last.reconnection_count + 1,
                    credential,
                )
                self._locks[identity] = state
                return Acquired(
                    True, state.initial_connection_unix_ms, state.reconnection_count, ""
                )
            self._locks[identity] = LockState(session_id, now, 0, credential)
            return Acquired(False, now, 0, "")
        if resume_session_id and resume_session_id == held.session_id:
            _same_credential(held, credential)
            state = LockState(
                session_id, held.initial_connection_unix_ms, held.reconnection_count + 1, credential
            )
            self._locks[identity] = state
            return Acquired(
                True, state.initial_connection_unix_ms, state.reconnection_count, held.session_id
            )
        raise DuplicateIdentity(identity)

    def release(self, identity: str, session_id: str) -> None:
        """Compare-and-delete: only the holder releases."""
        held = self._locks.get(identity)
        if held is not None and held.session_id == session_id:
            del self._locks[identity]
            self._history.pop(identity, None)  # re-inserted as the newest
            self._history[identity] = held
            while len(self._history) > self._history_max:
                del self._history[next(iter(self._history))]

    def holder(self, identity: str) -> str | None:
        held = self._locks.get(identity)
        return held.session_id if held else None


def _same_credential(state: LockState, credential: str) -> None:
    if state.credential != credential:
        raise ResumeRefused(
            f"resume refused: session {state.session_id} was authenticated by another credential"
        )
