// IPC: filled by its issue.
