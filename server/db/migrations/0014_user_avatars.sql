-- A user's photo: the id of its stored bytes (key '<avatar_id>.avatar'), or NULL for initials.
-- A new photo is a new id, so a client may keep any copy it fetched for ever.
ALTER TABLE users ADD COLUMN avatar_id uuid;
