"""server-side sign-ins (user_session), API token expiry, name and last use

Revision ID: d5e6f7a8b9c0
Revises: c4e5f6a7b8c9
Create Date: 2026-12-03 19:14:00
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d5e6f7a8b9c0"
down_revision = "c4e5f6a7b8c9"
branch_labels = None
depends_on = None

# Tokens issued before expiry existed get the default lifetime from today.
EXISTING_TOKEN_DAYS = 90


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_session_last_seen_at"), ["last_seen_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name", sa.String(length=50), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(), nullable=True))
    expires = datetime.now(UTC).replace(tzinfo=None) + timedelta(
        days=EXISTING_TOKEN_DAYS
    )
    op.get_bind().execute(
        sa.text("UPDATE api_token SET expires_at = :expires"), {"expires": expires}
    )
    # SQLite copies api_token here; without resolve_fks the copy would reflect
    # "user" too, and it cannot reflect that table's expression index.
    with op.batch_alter_table(
        "api_token", schema=None, reflect_kwargs={"resolve_fks": False}
    ) as batch_op:
        batch_op.alter_column("name", server_default=None)
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(), nullable=False)

    # Every sign-in made before this revision ends: its cookies name no session.
    # A plain ALTER (SQLite 3.35+ has DROP COLUMN): a batch copy of "user" would
    # lose the expression index uq_user_username_lower, which it cannot reflect.
    op.drop_column("user", "session_version")


def downgrade():
    op.add_column(
        "user",
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"),
    )

    with op.batch_alter_table(
        "api_token", schema=None, reflect_kwargs={"resolve_fks": False}
    ) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("name")

    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))
        batch_op.drop_index(batch_op.f("ix_user_session_last_seen_at"))

    op.drop_table("user_session")
