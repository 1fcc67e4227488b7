"""Events remember the snapshot that showed the old state (evidence kept by retention).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 08:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("before_snapshot_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_events_before_snapshot_id_snapshots", "snapshots", ["before_snapshot_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint("fk_events_before_snapshot_id_snapshots", type_="foreignkey")
        batch_op.drop_column("before_snapshot_id")
