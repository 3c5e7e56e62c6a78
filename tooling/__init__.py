"""The tooling around what ``infra/`` synthesizes: ``deploy`` (packages, Terraform, the
changed-only orchestrator), ``emulator`` (the local AWS: moto with AWS's limits, and the
handler runner), ``operations`` (status and re-drive against a deployed environment), ``cost``
(the monthly cost model) and ``policy`` (IAM and checkov policy checks).

It imports ``infra``; nothing in ``infra`` imports it.
"""
