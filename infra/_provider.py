"""Load only the AWS provider binding submodules the stacks use.

``cdktf_cdktf_provider_aws/__init__.py`` imports all 2,000+ submodules (16-19 s, ~1 GB per
process). Registering an unexecuted module object for the top-level package, with its real
``__path__``, lets ``import cdktf_cdktf_provider_aws.s3_bucket`` load just that submodule and the
shared jsii assembly (~4 s). The synthesized JSON is identical. This must run before anything
imports the real package; ``infra/__init__.py`` calls it, and ``check`` proves it worked.
"""

from __future__ import annotations

import importlib.util
import sys

PACKAGE = "cdktf_cdktf_provider_aws"


def load_provider_submodules_only() -> None:
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return  # code that needs no bindings (deploy record, emulator) runs without them
    sys.modules[PACKAGE] = importlib.util.module_from_spec(spec)


def loaded_submodules() -> list[str]:
    """Provider submodules imported so far (tests assert this stays small)."""
    prefix = PACKAGE + "."
    return sorted(name[len(prefix) :] for name in sys.modules if name.startswith(prefix))
