"""Real-time plumbing: hot keys, pub/sub bus and the per-process fan-out."""
