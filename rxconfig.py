"""Reflex configuration, derived from the one settings object."""

import reflex as rx

from command_center.settings import die_on_bad_settings

settings = die_on_bad_settings()
if settings.database_mode == "sqlite":
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # `reflex db migrate` opens it first

config = rx.Config(
    app_name="command_center",
    db_url=settings.effective_database_url,
    redis_url=settings.redis_url or None,
    state_manager_mode="redis" if settings.redis_url else "memory",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="dark", accent_color="cyan", radius="medium")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
