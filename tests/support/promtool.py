"""promtool, Prometheus's checker, for the alerting-rule tests.

It is taken from PATH when installed. Otherwise it is unpacked once from Debian's
`prometheus` package (`apt-get download`, no installation, no root needed for the
package database) into the user's cache, so CI needs nothing installed beforehand.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

DOWNLOAD_TIMEOUT_S = 300


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "harbor-desk" / "prometheus"


def promtool() -> Path:
    """The promtool binary; raises FileNotFoundError when it can be neither found nor fetched."""
    found = shutil.which("promtool")
    if found:
        return Path(found)
    binary = cache_dir() / "usr" / "bin" / "promtool"
    if binary.exists():
        return binary
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise FileNotFoundError("promtool is not installed and apt-get cannot fetch it")
    with tempfile.TemporaryDirectory(prefix="promtool-") as folder:
        fetched = subprocess.run(
            ["apt-get", "download", "prometheus"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=DOWNLOAD_TIMEOUT_S,
            check=False,
        )
        packages = sorted(Path(folder).glob("prometheus_*.deb"))
        if fetched.returncode != 0 or not packages:
            raise FileNotFoundError(
                f"promtool is not installed and `apt-get download prometheus` failed: "
                f"{fetched.stderr.strip()[-300:]}"
            )
        unpacked = Path(folder) / "unpacked"
        subprocess.run(["dpkg-deb", "-x", str(packages[-1]), str(unpacked)], check=True)
        binary.parent.mkdir(parents=True, exist_ok=True)
        # Only the checker is kept; the server binary in the same package is not needed.
        staged = binary.with_suffix(".partial")
        shutil.copy2(unpacked / "usr" / "bin" / "promtool", staged)
        staged.replace(binary)
    return binary
