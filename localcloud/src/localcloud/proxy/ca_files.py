"""Where the proxy mode's CA lives in a state directory (kept apart from ``ca``: the command line
reads these paths without importing cryptography)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CA_DIR_NAME = "proxy-ca"
CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
BUNDLE = "bundle.pem"


@dataclass(frozen=True)
class CaFiles:
    """Where the CA is on disk: what the client variables point at."""

    cert: Path
    key: Path
    bundle: Path

    @classmethod
    def in_dir(cls, state_dir: Path) -> CaFiles:
        folder = state_dir / CA_DIR_NAME
        return cls(folder / CA_CERT, folder / CA_KEY, folder / BUNDLE)
