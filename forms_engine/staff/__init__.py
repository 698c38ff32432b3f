"""The back office: staff accounts, roles per department, sessions and API tokens, submission review."""
