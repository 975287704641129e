"""`make bench`: how fast and how cheap the Messaging API is, measured against floors in one run.

Importing the package puts the shared layer on sys.path (as Lambda's /opt/python), so that `bench.*` modules
can import `messaging` and `tests.harness` when run with `python -m bench.run` from the repository root.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LAYER = REPO / "layers" / "shared"

if str(LAYER) not in sys.path:
    sys.path.insert(0, str(LAYER))
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
