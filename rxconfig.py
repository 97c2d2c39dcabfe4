"""Reflex configuration, derived from the one settings object."""

import reflex as rx

from command_center.devloop import configure_dev_run
from command_center.server_limits import configure_server
from command_center.settings import die_on_bad_settings

settings = die_on_bad_settings()
configure_server(settings)  # header read timeout (Granian), socket message size (Reflex)
if settings.database_mode == "sqlite":
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # `reflex db migrate` opens it first
configure_dev_run(settings)  # `reflex run` (dev): data/ is not watched; migrate/seed/build once

config = rx.Config(
    app_name="command_center",
    db_url=settings.effective_database_url,
    # Reflex keeps per-tab state in memory (one worker) unless STATE_MANAGER=redis: then Redis
    # holds it and Reflex runs several workers — but a Redis outage also stalls the UI.
    redis_url=settings.redis_url if settings.state_manager == "redis" else None,
    state_manager_mode=settings.state_manager,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="dark", accent_color="cyan", radius="medium")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
