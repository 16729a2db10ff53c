"""The Requestor's adapters: I/O with systems outside it other than the Processor (the main API)."""
