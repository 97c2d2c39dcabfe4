"""Start-up preparation: validate config and routing, migrate, seed, build the local warehouse.

Run as `python -m command_center.bootstrap`; the app runs the same steps at start.
Any failure is reported as one line naming what is wrong.
"""

from __future__ import annotations

import logging
import sys
import time

from command_center.settings import Settings, SettingsError, get_settings

log = logging.getLogger("command_center.bootstrap")


class StartupError(RuntimeError):
    """A start-up check failed; the message is one readable line."""


def check_routing(settings: Settings) -> None:
    """Validate `config/metric_routing.yaml` against the seeded catalog."""
    from command_center.metrics.definitions import SEEDED_METRICS
    from command_center.metrics.routing import RoutingError, load_routing, validate_routing

    try:
        validate_routing(load_routing(), [(m.id, m.backend) for m in SEEDED_METRICS])
    except RoutingError as exc:
        raise StartupError(str(exc)) from None


def prepare(settings: Settings | None = None, *, seed: bool | None = None) -> dict[str, float]:
    """Validate routing, apply migrations, seed demo data and ensure the local warehouse.

    Returns the seconds each step took.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from command_center.db.migrate import upgrade_to_head
    from command_center.db.seed import seed_demo
    from command_center.db.session import get_engine
    from command_center.warehouse.generate import ensure_local_warehouse

    settings = settings or get_settings()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    check_routing(settings)
    timings["routing"] = time.perf_counter() - started
    try:
        started = time.perf_counter()
        upgrade_to_head(settings.effective_database_url)
        timings["migrate"] = time.perf_counter() - started
        from command_center.auth.users import ensure_first_admin

        ensure_first_admin(settings)  # sign-in on and no account yet: print a one-time admin
        if settings.seed_on_start if seed is None else seed:
            started = time.perf_counter()
            seed_demo(
                get_engine(),
                settings.seed_customers,
                retention_days=settings.oltp_retention_days,
            )
            timings["seed"] = time.perf_counter() - started
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StartupError(f"database {settings.database_mode}: {reason}") from None
    if settings.warehouse_mode == "local":
        started = time.perf_counter()
        ensure_local_warehouse(settings)
        timings["warehouse"] = time.perf_counter() - started
    return timings


def main() -> int:
    """CLI entry point: prepare everything, print one line per outcome."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per outcome, not per plugin
    try:
        timings = prepare(get_settings())
    except (SettingsError, StartupError) as exc:
        print(f"command-center: {exc}", file=sys.stderr)
        return 2
    steps = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in timings.items())
    print(f"command-center: ready ({steps})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
