"""index for counting live questions

Revision ID: b7c1d2e3f4a5
Revises: ef8a368ffe6b
Create Date: 2026-11-24 08:08:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "b7c1d2e3f4a5"
down_revision = "ef8a368ffe6b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index(
            "ix_post_type_deleted", ["type", "deleted_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index("ix_post_type_deleted")
