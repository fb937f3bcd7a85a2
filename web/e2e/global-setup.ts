import { ensureBuild } from '../../scripts/ensure-build.mjs';

/** The browser tests drive the built app: build it if the sources changed. */
export default function globalSetup() {
  ensureBuild();
}
