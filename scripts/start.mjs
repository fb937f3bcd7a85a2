// `npm start`: build when the sources are newer than the last build, then run the server.
import { ensureBuild } from './ensure-build.mjs';

ensureBuild();
await import('../dist/server/main.js');
