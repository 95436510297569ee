"""search and tagging synonyms

Revision ID: f1a2b3c4d5e6
Revises: e7f8a9b0c1d2
Create Date: 2026-12-03 20:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f1a2b3c4d5e6"
down_revision = "e7f8a9b0c1d2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "synonym",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=60), nullable=False),
        sa.Column("replacement", sa.String(length=60), nullable=False),
        sa.Column("two_way", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("term", "replacement", name="uq_synonym_term_replacement"),
    )
    with op.batch_alter_table("synonym", schema=None) as batch_op:
        batch_op.create_index("ix_synonym_replacement", ["replacement"], unique=False)
        batch_op.create_index(batch_op.f("ix_synonym_term"), ["term"], unique=False)


def downgrade():
    with op.batch_alter_table("synonym", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_synonym_term"))
        batch_op.drop_index("ix_synonym_replacement")
    op.drop_table("synonym")
