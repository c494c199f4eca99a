"""API plumbing every app's REST doors share (games.api, accounts.api).

- `errors`: the one error shape (SPEC §3) and DRF's EXCEPTION_HANDLER;
- `fields`, `parsers`: strict input (JSON types as sent, unknown fields refused);
- `responses`: strict body validation and the documented error responses;
- `throttling`: rates and counters shared by the REST, HTML and socket doors.
"""
