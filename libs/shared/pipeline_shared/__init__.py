"""Runtime library shared by the pipeline's Lambda functions, shipped as the Lambda layer."""
