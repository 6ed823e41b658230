export { checkDataDir } from './check-data-dir.js';
export { checkStoreGround } from './check-store-ground.js';
export { describeStartupFailure } from './describe-startup-failure.js';
export {
  type ImportDemoSimulator,
  loadDemoSimulator,
  type StartDemoSimulator,
} from './load-demo-simulator.js';
export {
  EXIT,
  type ExitCode,
  formatRefusal,
  redactUrl,
  refusal,
  type StartupRefusal,
  StartupRefusedError,
} from './startup-refusal.js';
