export { checkDataDir } from './check-data-dir.js';
export { checkStoreGround } from './check-store-ground.js';
export { describeStartupFailure } from './describe-startup-failure.js';
export {
  EXIT,
  type ExitCode,
  formatRefusal,
  redactUrl,
  refusal,
  type StartupRefusal,
} from './startup-refusal.js';
