"""Sessions signed out lately, so a tab of one whose join was already under way is refused."""

from __future__ import annotations

SIGNED_OUT_KEPT = 4096  # the latest sign-outs remembered per room; the oldest are forgotten


class RecentSignOuts:
    """A bounded, insertion-ordered set of signed-out session tokens."""

    def __init__(self, keep: int = SIGNED_OUT_KEPT) -> None:
        self._keep = keep
        self._tokens: dict[str, None] = {}

    def add(self, session_token: str) -> None:
        """Remember `session_token` (forgetting the oldest beyond the bound); no session
        (`""`: sign-in off, every tab the same) is never remembered."""
        if not session_token:
            return
        self._tokens[session_token] = None
        if len(self._tokens) > self._keep:
            del self._tokens[next(iter(self._tokens))]

    def __contains__(self, session_token: object) -> bool:
        return session_token in self._tokens

    def __len__(self) -> int:
        return len(self._tokens)
