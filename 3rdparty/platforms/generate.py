"""Write the complete-platform files Pants resolves Lambda dependencies for.

    python3 3rdparty/platforms/generate.py   (needs the `packaging` library)

A complete platform is the target interpreter's marker environment plus every wheel tag it
accepts, so Pants picks the right native wheels (aarch64 for Graviton) without running on it.
AWS Lambda's python3.12 runtime is Amazon Linux 2023: CPython 3.12, glibc 2.34.
"""

from __future__ import annotations

import json
from pathlib import Path

from packaging.tags import compatible_tags, cpython_tags

GLIBC_MINOR = 34  # Amazon Linux 2023


def platform(machine: str) -> dict[str, object]:
    platforms = [f"manylinux_2_{minor}_{machine}" for minor in range(GLIBC_MINOR, 16, -1)]
    platforms += [f"manylinux2014_{machine}", f"linux_{machine}"]
    tags = [
        *cpython_tags((3, 12), abis=["cp312"], platforms=platforms),
        *compatible_tags((3, 12), "cp312", platforms),
    ]
    return {
        "marker_environment": {
            "implementation_name": "cpython",
            "implementation_version": "3.12.0",
            "os_name": "posix",
            "platform_machine": machine,
            "platform_python_implementation": "CPython",
            "platform_release": "5.10.0",
            "platform_system": "Linux",
            "platform_version": "#1 SMP",
            "python_full_version": "3.12.0",
            "python_version": "3.12",
            "sys_platform": "linux",
        },
        "compatible_tags": [str(tag) for tag in tags],
    }


if __name__ == "__main__":
    here = Path(__file__).parent
    for machine, name in (
        ("aarch64", "lambda-python3.12-arm64.json"),
        ("x86_64", "linux-python3.12-x86_64.json"),
    ):
        (here / name).write_text(json.dumps(platform(machine), indent=2) + "\n")
