"""A connector plugin for one gallery entry, so the home page can show a real FAIL.

``docs/_gen/home_matrix.py`` puts this folder on ``PYTHONPATH`` (with an entry-point
record beside it) and runs the real ``reposix contract`` command; the plugin below
builds the gallery's ``drops-last-page`` connector on the simulator's wire fake.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from reposix import ConnectorPlugin
from reposix_contract._gallery import GALLERY, load_gallery

GALLERY_DIR = Path(os.environ.get("REPOSIX_DEMO_GALLERY", "tests/contract/gallery"))
ENTRY = "drops-last-page"


def build(base_url: str, credentials: Any, runtime: Any) -> Any:
    """The sim connector switched to the gallery's broken class."""
    load_gallery(GALLERY_DIR, prefix="read_listing")
    return GALLERY[ENTRY].target().make_connector(base_url, credentials, runtime)


plugin = ConnectorPlugin(
    name=ENTRY,
    build=build,
    default_base_url="http://127.0.0.1:7878",
    fake="reposix_contract._fakes.sim:sim_fake",
    docs="contract/gallery.md",
)
