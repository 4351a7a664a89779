// TLS: filled by its issue.
