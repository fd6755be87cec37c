"""Alembic's script directory for leadmover's schema; storage.migrate runs it, no alembic.ini needed."""
