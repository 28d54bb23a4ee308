import * as step6 from '@impl/step6-production-edges/index.js';
import { healthChecks } from './behaviours/health-checks.js';
import { loadAware } from './behaviours/load-aware.js';
import { naiveForwarding } from './behaviours/naive-forwarding.js';
import { retries } from './behaviours/retries.js';
import { roundRobin } from './behaviours/round-robin.js';

// Steps 1-5's checks on step 6's code, in a file of their own so that they run in parallel with
// step6-production-edges.test.ts: `npm test -- step6` runs both.
naiveForwarding({ id: 'step6', module: step6 }, { refusedStatuses: [502, 503], connectTimeoutStatuses: [503, 504], abandonedStatuses: [0, 499] });
roundRobin({ id: 'step6', module: step6 }, 'step6-production-edges');
retries({ id: 'step6', module: step6 }, { judgesRotation: false, abandonedStatuses: [0, 499] });
healthChecks({ id: 'step6', module: step6 });
loadAware({ id: 'step6', module: step6 });
