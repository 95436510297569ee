"""index a profile's posts by owner, type, deletion and date

Revision ID: c4e5f6a7b8c9
Revises: b7c1d2e3f4a5
Create Date: 2026-11-24 10:30:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c4e5f6a7b8c9"
down_revision = "b7c1d2e3f4a5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index(
            "ix_post_owner_type",
            ["owner_id", "type", "deleted_at", "created_at"],
            unique=False,
        )
        batch_op.drop_index("ix_post_owner_id")


def downgrade():
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index("ix_post_owner_id", ["owner_id"], unique=False)
        batch_op.drop_index("ix_post_owner_type")
