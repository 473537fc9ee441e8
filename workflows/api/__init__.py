"""What every REST endpoint shares, whatever its app; nothing here knows a domain model.

- `problems`: errors as RFC 7807 problems (the exception handler, the API's 404, their schema);
- `pagination`: keyset (cursor) pagination over any whitelisted ordering;
- `conditional`: conditional GET (ETag, Last-Modified);
- `fields`: representation shortcuts for hand-written hot paths;
- `transitions`: the transition endpoints of a record with a state machine;
- `idempotency`: `Idempotency-Key` for the write requests;
- `schema`: the OpenAPI schema class that documents all of it.
"""
