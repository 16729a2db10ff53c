"""The Processor's REST bodies (requests and answers), as the seed names their keys."""
