"""What leaves a process for its operators: traces (OpenTelemetry), and the redaction that keeps
secrets out of them and out of every log line. Imports nothing else of ours."""
