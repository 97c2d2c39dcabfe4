"""custom widgets: widgets.metric_id is nullable (records-intent custom widgets have no metric)

Revision ID: 0002_custom_widgets
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_custom_widgets"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("widgets", schema=None) as batch_op:
        batch_op.alter_column(
            "metric_id", existing_type=sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("widgets", schema=None) as batch_op:
        batch_op.alter_column(
            "metric_id", existing_type=sa.String(length=80), nullable=False
        )
