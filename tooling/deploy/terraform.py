"""Running Terraform on synthesized stacks, offline where a provider mirror exists.

Provider installation follows Terraform's own CLI configuration: with
``PIPELINE_TF_PROVIDER_MIRROR`` set (a directory laid out as
``registry.terraform.io/hashicorp/aws/<version>/<os_arch>/``), a generated CLI config installs
``hashicorp/aws`` from that filesystem mirror and everything else from the registry; without
it, the caller's own ``TF_CLI_CONFIG_FILE`` (or the public registry) applies.

All stacks run by one :class:`Terraform` share its work directory's plugin cache and one
dependency lock file: the first ``init`` records the provider's checksums, later ones start
from them. Terraform (1.4+) reinstalls a provider into the cache for any directory without a
lock file, so without the shared one every init would rewrite the cache, and two concurrent
inits would collide there ("mkdir ...: file exists").
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from infra.synthesized import MINIMUM_TERRAFORM_VERSION

MIRROR_VARIABLE = "PIPELINE_TF_PROVIDER_MIRROR"
BINARY_VARIABLE = "TERRAFORM_BIN"
LOCK_FILE = ".terraform.lock.hcl"
_MINIMUM = f"{MINIMUM_TERRAFORM_VERSION[0]}.{MINIMUM_TERRAFORM_VERSION[1]}+"
INSTALL_URL = "https://developer.hashicorp.com/terraform/install"
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")
INIT_DIGEST = "pipeline-init.sha256"  # in the stack's .terraform/, which Terraform owns


class TerraformError(RuntimeError):
    pass


def find_terraform() -> str:
    explicit = os.environ.get(BINARY_VARIABLE)
    if explicit:
        if not (Path(explicit).is_file() and os.access(explicit, os.X_OK)):
            raise TerraformError(f"{BINARY_VARIABLE}={explicit} is not an executable file")
        return explicit
    found = shutil.which("terraform")
    if found is None:
        raise TerraformError(
            f"terraform ({_MINIMUM}) is not on PATH: install it ({INSTALL_URL}, "
            f"or your package manager), or set {BINARY_VARIABLE}=/path/to/terraform"
        )
    return found


def check_version(binary: str, env: dict[str, str] | None = None) -> tuple[int, int, int]:
    """The version of ``binary``; a TerraformError of one line if it is older than
    MINIMUM_TERRAFORM_VERSION or does not say."""
    try:
        result = subprocess.run(  # - the binary found above, a fixed argument
            [binary, "version", "-json"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise TerraformError(f"{binary} version: could not run it ({error})") from None
    try:
        text = str(json.loads(result.stdout)["terraform_version"])
    except (ValueError, KeyError, TypeError):
        text = result.stdout  # before 0.13 there is no -json: "Terraform v0.12.31"
    found = _VERSION.search(text)
    if result.returncode != 0 or found is None:
        raise TerraformError(
            f"{binary} version: no Terraform version in its output (exit {result.returncode}): "
            f"{(result.stdout or result.stderr).strip()[:200]!r}"
        )
    version = (int(found[1]), int(found[2]), int(found[3]))
    if version < MINIMUM_TERRAFORM_VERSION:
        raise TerraformError(
            f"Terraform {'.'.join(map(str, version))} ({binary}) is too old: the stacks need "
            f"{_MINIMUM} (S3 state locking, use_lockfile); install "
            f"a newer one ({INSTALL_URL}) or set {BINARY_VARIABLE}=/path/to/terraform"
        )
    return version


def cli_config(mirror: Path, config_dir: Path) -> Path:
    """A Terraform CLI config that takes hashicorp/aws from ``mirror``."""
    if not (mirror / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        raise TerraformError(
            f"{MIRROR_VARIABLE}={mirror} has no registry.terraform.io/hashicorp/aws/ inside: "
            "point it at a directory made by `terraform providers mirror`"
        )
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "terraform.rc"
    path.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        "}\n"
    )
    return path


@dataclass(frozen=True)
class Terraform:
    binary: str
    env: dict[str, str]
    work_dir: Path
    _first_init: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    @classmethod
    def configured(cls, work_dir: Path) -> Terraform:
        env = dict(os.environ)
        env.setdefault("TF_IN_AUTOMATION", "1")
        env["CHECKPOINT_DISABLE"] = "1"
        mirror = os.environ.get(MIRROR_VARIABLE)
        if mirror:
            env["TF_CLI_CONFIG_FILE"] = str(cli_config(Path(mirror), work_dir))
        elif env.get("TF_CLI_CONFIG_FILE") and not Path(env["TF_CLI_CONFIG_FILE"]).is_file():
            env.pop("TF_CLI_CONFIG_FILE")  # a dangling setting only produces warnings
        env["TF_PLUGIN_CACHE_DIR"] = str(work_dir / "plugin-cache")
        (work_dir / "plugin-cache").mkdir(parents=True, exist_ok=True)
        binary = find_terraform()
        check_version(binary, env)
        return cls(binary, env, work_dir)

    def init(self, stack_dir: Path, *args: str) -> bool:
        """``terraform init`` starting from the shared dependency lock file, which the first
        successful init writes; concurrent inits wait for the first one to write it. False
        when it was not needed (the module docstring says when)."""
        shared = self.work_dir / LOCK_FILE
        if shared.is_file():
            return self._init(stack_dir, args)
        with self._first_init:
            return self._init(stack_dir, args)

    def _init(self, stack_dir: Path, args: tuple[str, ...]) -> bool:
        shared, local = self.work_dir / LOCK_FILE, stack_dir / LOCK_FILE
        if shared.is_file() and not local.exists():
            shutil.copyfile(shared, local)
        digest_file = stack_dir / ".terraform" / INIT_DIGEST
        before = self._init_inputs(stack_dir, args)
        if (
            before is not None
            and digest_file.is_file()
            and digest_file.read_text() == before
            # host/namespace/type/version/os_arch/binary; the os_arch directory is a link
            # into the plugin cache, which rglob would not follow
            and any((stack_dir / ".terraform" / "providers").glob("*/*/*/*/*/terraform-provider-*"))
        ):
            return False
        digest_file.unlink(missing_ok=True)
        self.run(stack_dir, "init", *args)
        if not shared.exists() and local.is_file():
            fd, name = tempfile.mkstemp(dir=self.work_dir, prefix=LOCK_FILE)
            os.close(fd)
            staged = Path(shutil.copyfile(local, name))
            staged.replace(shared)  # whole or absent for a concurrent reader
        after = self._init_inputs(stack_dir, args)
        if after is not None:
            digest_file.write_text(after)
        return True

    def _init_inputs(self, stack_dir: Path, args: tuple[str, ...]) -> str | None:
        """A digest of what ``terraform init`` reads, or None for a directory whose JSON has no
        ``terraform`` block (then init always runs)."""
        document = stack_dir / "cdk.tf.json"
        if not document.is_file():
            return None
        block = json.loads(document.read_text()).get("terraform")
        if block is None:
            return None
        digest = hashlib.sha256()
        cli_config = self.env.get("TF_CLI_CONFIG_FILE")
        for part in (
            json.dumps(block, sort_keys=True),
            " ".join(args),
            self.binary,
            str(Path(self.binary).stat().st_mtime_ns),
            self.env.get("TF_PLUGIN_CACHE_DIR", ""),
            Path(cli_config).read_text() if cli_config and Path(cli_config).is_file() else "",
        ):
            digest.update(part.encode() + b"\0")
        for name in ("versions.tf", LOCK_FILE):
            path = stack_dir / name
            digest.update(path.read_bytes() if path.is_file() else b"-")
        return digest.hexdigest()

    def log_path(self, stack_dir: Path, command: str) -> Path:
        return self.work_dir / "logs" / f"{stack_dir.name}.{command}.log"

    def run(self, stack_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
        started = time.perf_counter()
        result = subprocess.run(  # - a fixed binary and our own arguments
            [self.binary, *args],
            cwd=stack_dir,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        log = self.log_path(stack_dir, args[0])
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(
            f"$ terraform {' '.join(args)}  (in {stack_dir}; exit {result.returncode} after "
            f"{time.perf_counter() - started:.1f} s)\n{result.stdout}\n{result.stderr}"
        )
        if result.returncode != 0:
            output = result.stderr[-4000:] or result.stdout[-4000:]
            hint = ""
            if "registry.terraform.io" in output and MIRROR_VARIABLE not in self.env:
                hint = (
                    "\nNo registry reachable? Put a provider mirror (a directory with "
                    "registry.terraform.io/hashicorp/aws/5.100.0/<os_arch>/) at "
                    f"~/.terraform.d/plugins, or name it in {MIRROR_VARIABLE}."
                )
            raise TerraformError(
                f"terraform {' '.join(args)} failed in {stack_dir} (exit {result.returncode}; "
                f"all of its output: {log}):\n{output}{hint}"
            )
        return result
