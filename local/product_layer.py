"""Makes the product's layer package (`messaging`, in layers/shared) importable by the local tools.

Lambda finds a layer under /opt/python; the local gateway answers errors through the same module the
functions use (`messaging.http.problem`) and reads tokens with `messaging.http.bearer`, so it needs the layer
on sys.path before it imports them, whoever started the process (`python -m local.dev_server`, pytest).
Appended, not prepended: nothing local should shadow an installed package.
"""

import sys
from pathlib import Path

LAYER_DIR = Path(__file__).resolve().parent.parent / "layers" / "shared"

if str(LAYER_DIR) not in sys.path:
    sys.path.append(str(LAYER_DIR))
