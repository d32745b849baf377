"""content/kb/topics.yaml ships with the product; it must stay the shared contract's copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketdesk.settings import REPO_ROOT

SHARED = REPO_ROOT.parent / "shared" / "kb" / "topics.yaml"


@pytest.mark.skipif(not SHARED.exists(), reason="the shared contract is not beside this checkout")
def test_shipped_topics_equal_the_shared_contract():
    shipped = REPO_ROOT / "content" / "kb" / "topics.yaml"
    assert shipped.read_bytes() == Path(SHARED).read_bytes()
