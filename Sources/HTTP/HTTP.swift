// HTTP: filled by its issue.
