/** Limits shared by server, client and tests. */
export const LIMITS = {
  usernameMin: 3,
  usernameMax: 32,
  passwordMin: 8,
  passwordMax: 256,
  displayNameMax: 64,
  emailMax: 254,
  contentMax: 4000,
  titleMax: 100,
  clientIdMax: 64,
  groupMembersMax: 1000,
  pageDefault: 50,
  pageMax: 100,
  userSearchLimit: 20,
  /** Code points of one reaction emoji (flags and family sequences are long). */
  emojiMax: 32,
  /** Distinct emojis on one message, and emojis one user may put on one message. */
  reactionsPerMessageMax: 50,
  reactionsPerUserMax: 10,
  filenameMax: 255,
} as const;
