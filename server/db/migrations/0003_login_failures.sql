-- Failed sign-ins per account name and per client address, shared by every node, so
-- guessing is throttled whichever node or address it comes through (docs/decisions/008).
CREATE TABLE login_failures (
  key           text PRIMARY KEY,  -- 'account:<lower-cased identifier>' or 'ip:<address>'
  failures      integer NOT NULL,
  window_start  timestamptz NOT NULL,
  locked_until  timestamptz
);
