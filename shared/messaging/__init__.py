"""Kafka (AWS MSK) messaging: topic routing, the message envelope, the outbox and its relay."""
