"""Regenerate the initial migration from the models (before the first release only).

.venv/bin/python -m outcomes.migrations.regenerate
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from outcomes.db import MIGRATIONS, alembic_config, make_engine


def main() -> None:
    """Delete versions/0001_initial.py and autogenerate it again against an empty database."""
    versions = MIGRATIONS / "versions"
    for old in versions.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.db'}")
        cfg = alembic_config(engine)
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    for new in versions.glob("0001_*.py"):
        new.rename(versions / "0001_initial.py")


if __name__ == "__main__":
    main()
