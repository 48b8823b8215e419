/** The local stand-in for the followers API: `tkf simulate`, `tkf export --demo`, and every test. */
export { BUILT_IN_USERS, DEFAULT_TOKEN, MISSING_UID, PRIVATE_UID, PUBLIC_UID } from './built-in-users.js';
export { renderFollower, followerUid } from './render-follower.js';
export { startSimulator } from './start-simulator.js';
export { accountOnDay, type AccountPlan } from './changing-list.js';
export type {
  FaultKind,
  Faults,
  Simulator,
  SimulatorOptions,
  SimulatorStats,
  UserScenario,
} from './simulator-options.js';
