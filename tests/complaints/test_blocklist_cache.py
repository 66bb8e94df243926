"""The blocklist check's in-process version cache (complaints/blocklist.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select


def test_a_check_that_read_before_a_change_here_does_not_trust_its_version(app):
    from pirights.complaints.blocklist import GENERATION, _bump, _read_at
    from pirights.extensions import db

    with app.app_context():
        seen = app.extensions.get(GENERATION, 0)  # a check notes this, then reads...
        with db.unit_of_work() as s:  # ...while a change commits in this process
            _bump(s)
        assert _read_at(seen, 5.0) == float("-inf")  # so it stores its version as stale
        now = app.extensions[GENERATION]
        assert _read_at(now, 5.0) == 5.0
        # A change rolled back changes nothing, not even at the session's next commit.
        with pytest.raises(RuntimeError), db.unit_of_work() as s:
            _bump(s)
            raise RuntimeError
        with db.unit_of_work() as s:
            s.execute(select(1))
        assert app.extensions[GENERATION] == now
