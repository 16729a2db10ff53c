"""Development-only tooling: the stack launcher (`make run`, `make demo`, end-to-end tests,
benchmarks) and the local Kafka-protocol broker. Not part of either service: the Dockerfiles copy
`shared/` and one service's package, never this."""
