"""Streamed exports of a procedure's submissions (CSV, JSON Lines, ZIP) for staff and operators."""
