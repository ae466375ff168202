"""Alembic: the environment (``env.py``, loaded by Alembic) and the schema's versions."""
