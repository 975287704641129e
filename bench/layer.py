"""The shared layer as `sam build` lays it out: the pinned requirements unpacked (no bytecode: sam build
unpacks wheels without compiling them) plus the `messaging` package, under python/ as Lambda's /opt/python.

Wheels are downloaded once into .local-run/bench-wheels (offline installs afterwards).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench import LAYER, REPO

WHEELS = REPO / ".local-run" / "bench-wheels"
REQUIREMENTS = LAYER / "requirements.txt"
ARM64 = ("--platform", "manylinux2014_aarch64", "--python-version", "3.13", "--implementation", "cp")
_PIP = (sys.executable, "-m", "pip", "--disable-pip-version-check")


class LayerBuildError(RuntimeError):
    """pip could not install the layer's requirements."""


def build_layer(target: Path, platform: tuple[str, ...] = ()) -> Path:
    """Installs the layer into target/python (for `platform`, or this host when empty); returns that dir."""
    python = target / "python"
    install = [
        *_PIP,
        "install",
        "--quiet",
        "--no-compile",
        "--only-binary=:all:",
        "--target",
        str(python),
        "-r",
        str(REQUIREMENTS),
        *platform,
    ]
    offline = [*install, "--no-index", "--find-links", str(WHEELS)]
    if subprocess.run(offline, capture_output=True, text=True, check=False).returncode != 0:
        WHEELS.mkdir(parents=True, exist_ok=True)
        download = [*_PIP, "download", "--quiet", "--only-binary=:all:", "-d", str(WHEELS)]
        _run([*download, "-r", str(REQUIREMENTS), *platform])
        shutil.rmtree(python, ignore_errors=True)
        _run(offline)
    shutil.copytree(LAYER / "messaging", python / "messaging", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REQUIREMENTS, python / "requirements.txt")
    return python


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LayerBuildError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


@dataclass(frozen=True)
class LayerSize:
    unzipped_bytes: int
    zipped_bytes: int
    files: int
    pyc_files: int
    by_package: list[tuple[str, int]]  # largest first


def measure_layer(python_dir: Path, scratch: Path) -> LayerSize:
    files = [path for path in python_dir.rglob("*") if path.is_file()]
    by_package: Counter[str] = Counter()
    for path in files:
        top = path.relative_to(python_dir).parts[0]
        name = "*.dist-info (metadata)" if top.endswith((".dist-info", ".data")) else top.removesuffix(".py")
        by_package[name] += path.stat().st_size
    archive = scratch / "layer.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in files:
            zipped.write(path, path.relative_to(python_dir.parent))
    return LayerSize(
        unzipped_bytes=sum(by_package.values()),
        zipped_bytes=archive.stat().st_size,
        files=len(files),
        pyc_files=sum(1 for path in files if path.suffix == ".pyc"),
        by_package=by_package.most_common(),
    )
