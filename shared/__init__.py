"""Code both services share: the gRPC contract, Pydantic models, settings and utilities."""
