"""vote audit findings

Revision ID: e7f8a9b0c1d2
Revises: d5e6f7a8b9c0
Create Date: 2026-12-03 19:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e7f8a9b0c1d2"
down_revision = "d5e6f7a8b9c0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "vote_audit_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("target_change", sa.Integer(), nullable=False),
        sa.Column("voter_change", sa.Integer(), nullable=False),
        sa.Column("first_vote_at", sa.DateTime(), nullable=False),
        sa.Column("last_vote_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["target_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["voter_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("vote_audit_finding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vote_audit_finding_created_at"), ["created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("vote_audit_finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_audit_finding_created_at"))

    op.drop_table("vote_audit_finding")
