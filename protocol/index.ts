export * from './errors.js';
export * from './ids.js';
export * from './limits.js';
export * from './users.js';
export * from './auth.js';
export * from './messages.js';
export * from './conversations.js';
export * from './frames.js';
