"""``stegvis invite PAIR_ID --json``: two links; clear errors for bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from stegvis.cli import build_cli
from tests.utils.pairs import make_pair


def test_invite_prints_two_links_as_json(settings, db):
    pair = make_pair(db)
    result = CliRunner().invoke(build_cli(), ["invite", pair.pair, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"mentor", "participant"}
    for role in out.values():
        assert role["link"] == f"https://t.me/{settings.bot_username}?start={role['token']}"
    status = CliRunner().invoke(build_cli(), ["invite", pair.pair, "--status", "--json"])
    assert sorted(r["status"] for r in json.loads(status.stdout)) == ["active", "active"]
    revoked = CliRunner().invoke(build_cli(), ["invite", pair.pair, "--revoke", "--json"])
    assert json.loads(revoked.stdout) == {"revoked": 2}


def test_invite_for_an_unknown_pair_fails_plainly(settings, db):
    result = CliRunner().invoke(build_cli(), ["invite", "no-such-pair", "--json"])
    assert result.exit_code == 1
    assert "error: pair 'no-such-pair' does not exist" in result.output
    assert "Traceback" not in result.output
