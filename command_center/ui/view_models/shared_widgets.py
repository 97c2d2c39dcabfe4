"""Dashboard widgets as every tab of a process shows them, resolved once per tick (pure).

One process-wide refresher (ui/widget_room.py) keeps a `Feed` per (dashboard, range and
filters) that some tab shows: the board (name, layouts, the widgets' specs) and each widget's
current view. Each tick it asks `SharedWidgets.wanted` which distinct widget data are due —
a widget with the same spec under the same choice is resolved once, however many tabs and
feeds show it — hands the results to `apply`, and pushes a feed's views to the tabs showing
it only when a shown view changed (or a tab asked for a retry). A tab's own table sort is
applied per group of tabs that sort alike (`audience`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from command_center.dashboards.filters import ViewChoice

DEFAULT_REFRESH_SECONDS = 60
MIN_REFRESH_SECONDS = 5

FeedKey = tuple[int, str]  # the board's id, the choice's key
ViewKey = tuple[str, str, str]  # widget id, spec, choice key: one resolve each
BOARD_FIELDS = ("dashboard_id", "dashboard_name", "dashboards", "layouts", "loaded")


def choice_key(choice: ViewChoice) -> str:
    """A stable key for a range-and-filters choice."""
    return json.dumps(choice.params(), sort_keys=True)


def _spec_key(spec: dict[str, Any]) -> str:
    return json.dumps(spec, sort_keys=True, default=str)


def refresh_seconds(spec: dict[str, Any]) -> int:
    """The widget's own cadence (its data intent's `refresh_seconds`, at least 5 s)."""
    intent = spec.get("data_intent") or {}
    return max(int(intent.get("refresh_seconds") or DEFAULT_REFRESH_SECONDS), MIN_REFRESH_SECONDS)


def sort_rows(view: dict[str, Any], column: str | None, descending: bool) -> dict[str, Any]:
    """The view with its table rows ordered by `column` (numbers before text, gaps last)."""
    keys = [c["key"] for c in view.get("columns") or []]
    if column not in keys:
        return view
    index = keys.index(column)

    def order(row: list[dict[str, Any]]) -> tuple[int, Any]:
        value = row[index]["sort"]
        if value in ("", None):
            return (2, "")
        return (0, value) if isinstance(value, int | float) else (1, str(value).lower())

    rows = sorted(view["rows"], key=order, reverse=descending)
    return {**view, "rows": rows, "sorted_by": column, "descending": descending}


@dataclass
class Feed:
    """One board under one choice, as its tabs show it."""

    key: FeedKey
    choice: ViewChoice
    info: dict[str, Any] = field(default_factory=dict)  # BOARD_FIELDS
    specs: dict[str, dict[str, Any]] = field(default_factory=dict)  # in board order
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_due: dict[str, float] = field(default_factory=dict)
    forced: set[str] = field(default_factory=set)
    reload: bool = False
    quiet: set[str] = field(default_factory=set)  # tabs whose own save asked the reload
    revision: int = 0

    def set_board(
        self,
        info: dict[str, Any],
        ordered: list[tuple[str, dict[str, Any]]],
        loading: Callable[[str, dict[str, Any]], dict[str, Any]],
    ) -> dict[str, Any]:
        """Take a (re)read board; returns the shown fields that changed (views included).
        New or changed widgets are due at once and show "loading" until resolved."""
        specs = dict(ordered)
        changed = {k: v for k, v in info.items() if self.info.get(k) != v}
        self.info = dict(info)
        views = {}
        for widget_id, spec in ordered:
            if self.specs.get(widget_id) == spec and widget_id in self.views:
                views[widget_id] = self.views[widget_id]
            else:
                views[widget_id] = loading(widget_id, spec)
                self.next_due.pop(widget_id, None)
        if list(views.items()) != list(self.views.items()):
            changed["views"] = True
        self.specs, self.views = specs, views
        self.next_due = {w: t for w, t in self.next_due.items() if w in specs}
        self.forced &= set(specs)
        if changed:
            self.revision += 1
        return changed

    def due(self, now: float) -> list[str]:
        """Widgets whose cadence is up, or that a tab asked to retry."""
        return [w for w in self.specs if w in self.forced or self.next_due.get(w, 0) <= now]

    def view_key(self, widget_id: str) -> ViewKey:
        """What one resolve of this widget in this feed is keyed by."""
        return (widget_id, _spec_key(self.specs[widget_id]), self.key[1])

    def ordered_views(self, sorts: dict[str, list[Any]] | None = None) -> list[dict[str, Any]]:
        """The views in board order, each table sorted as `sorts` asks."""
        sorts = sorts or {}
        return [
            sort_rows(view, *sorts.get(widget_id, [None, False]))
            for widget_id, view in self.views.items()
        ]

    def snapshot(self, sorts: dict[str, list[Any]] | None = None) -> dict[str, Any]:
        """Everything a tab shows of this feed."""
        return {**self.info, "views": self.ordered_views(sorts)}


@dataclass
class Member:
    """One live tab: its tokens, its socket, the feed it shows and its table sorts."""

    token: str  # the tab's client token
    session: str  # the signed-in session behind it
    sid: str  # its socket.io sid on this process
    feed: FeedKey
    sorts: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class SharedWidgets:
    """Every feed some tab of this process shows, and the tabs."""

    feeds: dict[FeedKey, Feed] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)  # client token → member

    def feed(self, board_id: int, choice: ViewChoice) -> Feed:
        """The feed of `board_id` under `choice` (created empty: its board is not read)."""
        key = (board_id, choice_key(choice))
        if key not in self.feeds:
            self.feeds[key] = Feed(key=key, choice=choice)
        return self.feeds[key]

    def join(self, member: Member) -> None:
        """Add (or move) a tab; a feed nobody shows any more is forgotten."""
        self.members[member.token] = member
        self._forget_unwatched()

    def leave(self, token: str) -> None:
        """Take a tab out."""
        if self.members.pop(token, None) is not None:
            self._forget_unwatched()

    def _forget_unwatched(self) -> None:
        watched = {m.feed for m in self.members.values()}
        self.feeds = {k: f for k, f in self.feeds.items() if k in watched}

    def wanted(self, now: float) -> dict[ViewKey, tuple[str, dict[str, Any], ViewChoice]]:
        """The distinct widget data due now across every watched feed."""
        wanted: dict[ViewKey, tuple[str, dict[str, Any], ViewChoice]] = {}
        for feed in self.feeds.values():
            for widget_id in feed.due(now):
                key = feed.view_key(widget_id)
                wanted.setdefault(key, (widget_id, feed.specs[widget_id], feed.choice))
        return wanted

    def apply(self, results: dict[ViewKey, dict[str, Any]], now: float) -> list[Feed]:
        """Put resolved views into every feed that shows them; the feeds to push (a shown
        view changed, or a tab asked for a retry of one of them)."""
        pushed = []
        for feed in self.feeds.values():
            changed = False
            for widget_id, spec in feed.specs.items():
                view = results.get(feed.view_key(widget_id))
                if view is None:
                    continue
                feed.next_due[widget_id] = now + refresh_seconds(spec)
                changed |= widget_id in feed.forced or feed.views.get(widget_id) != view
                feed.forced.discard(widget_id)
                feed.views[widget_id] = view
            if changed:
                feed.revision += 1
                pushed.append(feed)
        return pushed

    def audience(self, key: FeedKey) -> list[tuple[dict[str, list[Any]], list[Member]]]:
        """The tabs showing feed `key`, grouped by their table sorts."""
        groups: dict[str, tuple[dict[str, list[Any]], list[Member]]] = {}
        for member in self.members.values():
            if member.feed == key:
                sort_key = json.dumps(member.sorts, sort_keys=True)
                groups.setdefault(sort_key, (member.sorts, []))[1].append(member)
        return list(groups.values())
