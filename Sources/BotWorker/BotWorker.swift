// BotWorker: filled by its issue.
