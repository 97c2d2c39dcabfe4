"""Command Center: a real-time operations command center for a device-protection business."""
