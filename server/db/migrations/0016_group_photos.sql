-- A group's photo: the id of its stored bytes (key '<avatar_id>.avatar', as for users), or NULL
-- for initials. One-to-one chats keep NULL: they show the other member's photo.
ALTER TABLE conversations ADD COLUMN avatar_id uuid;
