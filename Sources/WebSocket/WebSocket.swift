// WebSocket: filled by its issue.
