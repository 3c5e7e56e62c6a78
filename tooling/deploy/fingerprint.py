"""What a stack's deployment depends on, as one hash.

The synthesized JSON already carries every package's content hash (``source_code_hash``), so a
code change shows up here. Asset directory names (cdktf hashes the zip's bytes, timestamps
included) are normalized away, so a rebuilt but identical package changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

_ASSET_DIR = re.compile(r"assets/([^/\"]+)/[0-9A-Fa-f]{16,}/")


def stack_fingerprint(stack_dir: Path) -> str:
    digest = hashlib.sha256()
    # The JSON and every HCL file synth writes beside it (versions, imports, removed blocks).
    for name in ["cdk.tf.json", *sorted(p.name for p in stack_dir.glob("*.tf"))]:
        path = stack_dir / name
        if path.is_file():
            text = _ASSET_DIR.sub(r"assets/\1/", path.read_text())
            digest.update(name.encode() + b"\0" + text.encode())
    return digest.hexdigest()
