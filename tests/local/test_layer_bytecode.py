"""make build ships unchecked-hash bytecode for exactly the modules the functions import."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from local.layer_bytecode import compile_for_lambda, imported_modules
from tests.harness import REPO

UNCHECKED_HASH_FLAGS = 0b01  # PEP 552: hash-based, source not checked


def test_the_modules_of_the_handlers_of_a_refused_request_and_of_an_idempotent_create_are_listed() -> None:
    modules = set(imported_modules())
    # The handlers' own imports, and what a refused request imports to explain itself (models, pydantic)
    assert {"messaging.usecases.create", "aws_lambda_powertools.logging"} <= modules
    assert {"messaging.http.models.create", "messaging.http.models.activities", "pydantic"} <= modules
    # And what an idempotent create loads on first use (Powertools' idempotency utility)
    assert "aws_lambda_powertools.utilities.idempotency.persistence.dynamodb" in modules


def test_modules_in_the_layer_get_unchecked_hash_bytecode(tmp_path: Path) -> None:
    # Given a layer holding our package
    source = REPO / "layers" / "shared" / "messaging"
    shutil.copytree(source, tmp_path / "messaging", ignore=shutil.ignore_patterns("__pycache__"))
    # When the imported modules are compiled, stdlib and absent ones skipped
    compiled = compile_for_lambda(tmp_path, ["messaging", "messaging.domain.ids", "json", "not_there"])
    # Then exactly ours got .pyc files Python will use whatever the files' timestamps
    assert compiled == 2
    pyc = Path(importlib.util.cache_from_source(str(tmp_path / "messaging" / "domain" / "ids.py")))
    assert int.from_bytes(pyc.read_bytes()[4:8], "little") == UNCHECKED_HASH_FLAGS
    assert not (tmp_path / "messaging" / "store" / "__pycache__").exists()
