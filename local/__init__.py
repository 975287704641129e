"""Local tooling (DynamoDB Local, table bootstrap, dev server, tokens). Never imported by product code.

The local tools answer errors through the product's own problem-details module, so the shared layer is
importable here the way Lambda finds it under /opt/python.
"""

import sys
from pathlib import Path

_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "shared")
if _LAYER not in sys.path:
    sys.path.append(_LAYER)
