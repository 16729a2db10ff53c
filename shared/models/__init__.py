"""Pydantic v2 models: the internal currency of both services (protobuf stops at shared.proto.convert)."""
