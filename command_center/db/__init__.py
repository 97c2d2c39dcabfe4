"""OLTP database: models, sessions, migrations, demo seed."""
