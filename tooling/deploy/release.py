"""Release what a stack adopted instead of destroying it: ``terraform state rm`` of the
addresses the stack lists under ``"//"`` → ``released_on_destroy`` in its Terraform JSON (the
data stack lists each adopted legacy bucket, its configuration and the data key; the retention
stack, each one's lifecycle rules), run by the
deploy's destroy before ``terraform destroy``. Terraform then forgets them; they stay in AWS as
they are, their data untouched.

Why not a ``removed`` block (Terraform 1.7+,
https://developer.hashicorp.com/terraform/language/block/removed)? A ``removed`` block may not
name a resource the configuration still declares (plan fails: "Removed resource still exists"),
so it would need a second configuration without the adopted buckets, applied before the destroy;
and ``terraform destroy`` itself ignores ``lifecycle { destroy = false }`` (Terraform 1.11.4
destroyed such a resource; infra/tests/test_release.py shows both). ``terraform state rm``
(https://developer.hashicorp.com/terraform/cli/commands/state/rm) forgets exactly the listed
objects of the configuration that was deployed. The adopted bucket also has
``prevent_destroy``: a ``terraform destroy`` run by hand, without this step, fails at plan
before anything is deleted.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Protocol

from infra.synthesized import RELEASED_KEY


class _Terraform(Protocol):
    def run(self, stack_dir: Path, *args: str) -> subprocess.CompletedProcess[str]: ...


def released_addresses(stack_dir: Path) -> list[str]:
    """What the synthesized stack in ``stack_dir`` is to keep on destroy."""
    path = stack_dir / "cdk.tf.json"
    if not path.is_file():
        return []
    comment = json.loads(path.read_text()).get("//", {})
    return [str(a) for a in comment.get(RELEASED_KEY, [])] if isinstance(comment, dict) else []


def release(stack_dir: Path, terraform: _Terraform) -> list[str]:
    """Forget (``terraform state rm``) the stack's released addresses that are in its state;
    the addresses released. Run after ``terraform init``, before ``terraform destroy``."""
    wanted = released_addresses(stack_dir)
    if not wanted:
        return []
    listed = terraform.run(stack_dir, "state", "list", "-no-color")
    in_state = set(listed.stdout.split())
    found = [address for address in wanted if address in in_state]
    if found:
        terraform.run(stack_dir, "state", "rm", "-no-color", *found)
    return found
