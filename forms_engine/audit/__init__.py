"""The audit log: who viewed, exported, changed or logged in, appended as hash-chained entries."""
