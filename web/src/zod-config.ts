import { z } from 'zod';

// Imported first (before any schema is built): zod would otherwise probe `new Function` to
// compile faster parsers, which the server's Content-Security-Policy reports as a violation.
z.config({ jitless: true });
