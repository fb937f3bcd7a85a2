import { z } from 'zod';

export const DEV_JWT_SECRET = 'chatify-dev-secret-do-not-use-in-production';

const csv = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    DATABASE_POOL_IDLE_MS: z.coerce.number().int().min(0).max(86_400_000).default(600_000),
    DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
    DATABASE_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(1_500),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// URL')
      .optional(),
    JWT_SECRET: z.string().min(16, 'must be at least 16 characters').default(DEV_JWT_SECRET),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(900).default(900),
    REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    // How long a node trusts a session it found live without asking PostgreSQL again; every
    // revocation clears it at once through the bus (decision 018). 0 asks on every request.
    SESSION_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(10),
    ALLOWED_ORIGINS: csv,
    TRUST_PROXY: z.stringbool().default(false),
    RATE_LIMIT_AUTH_PER_MINUTE: z.coerce.number().int().min(1).default(60),
    RATE_LIMIT_SEARCH_PER_MINUTE: z.coerce.number().int().min(1).default(60),
    // How long one search may run in PostgreSQL before it is stopped and answered 503.
    SEARCH_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(1_000),
    SEARCH_WORDS_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(1_000),
    RATE_LIMIT_SEND_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    WS_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(1).default(200),
    LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
    LOGIN_IP_MAX_FAILURES: z.coerce.number().int().min(1).default(30),
    LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(30).default(900),
    LOGIN_LOCK_SECONDS: z.coerce.number().int().min(1).default(30),
    PUBLIC_ORIGIN: z.url().optional(),
    WS_SEND_RATE: z.coerce.number().positive().default(10),
    WS_SEND_BURST: z.coerce.number().int().min(1).default(30),
    WS_MAX_BUFFERED_BYTES: z.coerce
      .number()
      .int()
      .min(64 * 1024)
      .default(4 * 1024 * 1024),
    WS_HEARTBEAT_MS: z.coerce.number().int().min(100).default(25_000),
    WS_AUTH_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
    TYPING_TTL_MS: z.coerce.number().int().min(100).default(6_000),
    /** After SIGTERM, how long /readyz answers 503 while the node still serves, before it closes. */
    SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(30_000).default(0),
    PRESENCE_TTL_MS: z.coerce.number().int().min(300).max(300_000).default(30_000),
    PRESENCE_GROUP_LIMIT: z.coerce.number().int().min(0).default(100),
    STUN_URLS: csv,
    TURN_URLS: csv,
    TURN_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    TURN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(3600),
    CALL_RING_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(30_000),
    /** How long an accepted call waits for a device whose socket dropped to come back (call_rejoin). */
    CALL_REJOIN_MS: z.coerce.number().int().min(100).max(120_000).default(20_000),
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
      .optional(),
    MAIL_FROM: z.string().min(3).default('Chatify <no-reply@localhost>'),
    REQUIRE_EMAIL_VERIFICATION: z.stringbool().default(false),
    ADMIN_EMAILS: csv,
    JOB_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
    MESSAGE_EDIT_WINDOW_SECONDS: z.coerce.number().int().min(0).default(86_400),
    UPLOAD_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(2 * 1024 ** 3)
      .default(25 * 1024 * 1024),
    UPLOAD_STORAGE: z.enum(['local', 's3']).default('local'),
    S3_BUCKET: z.string().min(3).optional(),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_ENDPOINT: z.url().optional(),
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    S3_FORCE_PATH_STYLE: z.stringbool().default(false),
    S3_PREFIX: z.string().default(''),
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((c, ctx) => {
    if (c.TURN_URLS.length > 0 && !c.TURN_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['TURN_SECRET'], message: 'is required when TURN_URLS is set' });
    }
    if (c.UPLOAD_STORAGE === 's3' && !c.S3_BUCKET) {
      ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'is required when UPLOAD_STORAGE is s3' });
    }
    if (c.NODE_ENV === 'production' && c.JWT_SECRET === DEV_JWT_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'is the development default; set a random secret of 32+ characters in production',
      });
    } else if (c.NODE_ENV === 'production' && c.JWT_SECRET.length < 32) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'must be at least 32 characters in production' });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;

/** Parses the environment; throws one error listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(clean);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export class ConfigError extends Error {}

/** The environment variable names the config reads (the README and deploy files document these). */
export const CONFIG_KEYS = Object.keys(ConfigSchema.shape);
