import * as step5 from '@impl/step5-load-aware/index.js';
import { healthChecks } from './behaviours/health-checks.js';
import { naiveForwarding } from './behaviours/naive-forwarding.js';
import { retries } from './behaviours/retries.js';
import { roundRobin } from './behaviours/round-robin.js';

// Steps 1-4's checks on step 5's code, in a file of their own so that they run in parallel with
// step5-load-aware.test.ts: `npm test -- step5` runs both.
naiveForwarding({ id: 'step5', module: step5 }, { refusedStatuses: [502, 503], connectTimeoutStatuses: [503, 504] });
roundRobin({ id: 'step5', module: step5 }, 'step5-load-aware');
retries({ id: 'step5', module: step5 }, { judgesRotation: false });
healthChecks({ id: 'step5', module: step5 });
