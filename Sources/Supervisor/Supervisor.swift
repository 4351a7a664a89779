// Supervisor: filled by its issue.
