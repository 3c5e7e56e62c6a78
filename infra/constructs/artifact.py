"""A built deployment package (zip) and its content hash."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Artifact:
    path: Path

    def __post_init__(self) -> None:
        if not self.path.is_file():
            raise FileNotFoundError(
                f"deployment package {self.path} does not exist: build it with "
                "`./pants package services:: libs/shared::` (see docs/deployment.md)"
            )

    @property
    def sha256_base64(self) -> str:
        """Terraform's ``source_code_hash``: a function or layer changes only when this does."""
        return base64.b64encode(hashlib.sha256(self.path.read_bytes()).digest()).decode()
