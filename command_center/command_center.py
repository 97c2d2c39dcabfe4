"""The Reflex app: pages, the /v1 API (api_transformer) and lifespan tasks."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sys

import reflex as rx

from command_center.api.app import build_api
from command_center.bootstrap import StartupError, check_routing, prepare
from command_center.devloop import startup_done
from command_center.settings import die_on_bad_settings
from command_center.ui.pages.admin import admin_page
from command_center.ui.pages.dashboard import dashboard_page
from command_center.ui.pages.login import login_page
from command_center.ui.states.admin import AdminState
from command_center.ui.states.dashboard import DashboardState
from command_center.ui.states.session import SessionState
from command_center.ui.states.widgets import WidgetsState

log = logging.getLogger("command_center")

settings = die_on_bad_settings()
try:
    check_routing(settings)
except StartupError as exc:
    print(f"command-center: {exc}", file=sys.stderr)
    raise SystemExit(2) from None


@contextlib.asynccontextmanager
async def backends():
    """Lifespan: migrate/seed/warehouse (no-ops when current), then this process's LiveOps."""
    from command_center.ops.live import start_realtime, stop_realtime

    try:
        # `reflex run` (dev) or docker/entrypoint.sh did this once before the first worker
        timings = {} if startup_done() else await asyncio.to_thread(prepare, settings)
    except StartupError as exc:
        print(f"command-center: {exc}", file=sys.stderr, flush=True)
        os._exit(2)
    log.info("backends ready: %s", timings)
    await start_realtime(settings)
    gc.freeze()  # start-up objects live forever: keep them out of every future collection
    try:
        yield
    finally:
        await stop_realtime()


@contextlib.asynccontextmanager
async def warehouse_sync():
    """Lifespan: the local warehouse sync (one process leads; see warehouse/sync.py)."""
    from command_center.warehouse.sync import warehouse_sync_lifespan

    async with warehouse_sync_lifespan(settings):
        yield


app = rx.App(api_transformer=build_api(), stylesheets=["/styles.css"])
app.add_page(
    dashboard_page,
    route="/",
    title="Command Center",
    on_load=[
        SessionState.check_session,
        DashboardState.load,
        DashboardState.stream,
        WidgetsState.run_refresh_loop,
    ],
)
app.add_page(
    login_page, route="/login", title="Sign in · Command Center", on_load=SessionState.load_login
)
app.add_page(
    admin_page,
    route="/admin",
    title="Admin · Command Center",
    on_load=[SessionState.check_session, AdminState.load],
)
app.register_lifespan_task(backends)
app.register_lifespan_task(warehouse_sync)
