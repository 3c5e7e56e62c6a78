# Pants BUILD-file macros (pants.toml: build_file_prelude_globs).


def pipeline_environment(env):
    """The entrypoints of one environment, envs/<env>/ (docs/deployment.md):

    ./pants run envs/<env>:synth | :deploy | :plan | :destroy | :cost | :redrive | :status
    ./pants run envs/<env>:bootstrap   (once per account: the remote-state bucket)
    """
    pex_binary(name="synth", entry_point="envs.synth", args=["--env", env], resolve="infra")
    # Only the local environment's deploy tools carry the emulator's server (moto and its
    # server stack): they start it as a subprocess (python -m), which inference cannot see.
    # A real environment's tools reach only tooling/emulator/control.py, which imports no moto.
    emulator = ["tooling/emulator/server.py"] if env == "local" else []
    for command in ("deploy", "plan", "destroy"):
        pex_binary(
            name=command,
            entry_point="envs.deploy",
            args=[command, "--env", env],
            resolve="infra",
            execution_mode="venv",
            dependencies=emulator,
        )
    pex_binary(
        name="cost",
        entry_point="envs.cost",
        args=["--env", env],
        resolve="infra",
        dependencies=["tooling/cost:tables"],
    )
    # operator tools (docs/operations.md)
    for command in ("redrive", "status", "bootstrap", "dashboard", "query"):
        pex_binary(
            name=command,
            entry_point=f"envs.{command}",
            args=["--env", env],
            resolve="infra",
        )
    files(name="config", sources=["config.toml"])
    # cdktf.json lets CDKTF CLI users run `cdktf synth` / `cdktf diff` in this directory.
    files(name="cdktf", sources=["cdktf.json"])


def pipeline_function(handler):
    """A function's deployment package, ``:lambda``: its own code only (a few KB). The shared
    library and the third-party dependencies come from the layer (libs/shared:layer), so they
    are left out. ``handler``: ``<svc>/handler.py:lambda_handler``."""
    python_awslambda(
        name="lambda",
        handler=handler,
        complete_platforms=["3rdparty/platforms:lambda-arm64"],
        include_requirements=False,
        dependencies=[
            "!!libs/shared/pipeline_shared",
            "!!libs/shared/pipeline_shared:pure@resolve=lambda",
        ],
    )
