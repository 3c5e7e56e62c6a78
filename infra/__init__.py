"""The pipeline's AWS infrastructure, in CDKTF (Python).

Importing this package first installs a stand-in for the prebuilt AWS provider bindings'
top-level package, so that only the submodules a stack uses are loaded (see ``_provider``).
"""

from infra._provider import load_provider_submodules_only

load_provider_submodules_only()
