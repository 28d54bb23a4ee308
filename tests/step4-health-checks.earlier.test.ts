import * as step4 from '@impl/step4-health-checks/index.js';
import { naiveForwarding } from './behaviours/naive-forwarding.js';
import { retries } from './behaviours/retries.js';
import { roundRobin } from './behaviours/round-robin.js';

// Steps 1-3's checks on step 4's code, in a file of their own so that they run in parallel with
// step4-health-checks.test.ts: `npm test -- step4` runs both.
naiveForwarding({ id: 'step4', module: step4 }, { refusedStatuses: [502, 503], connectTimeoutStatuses: [503, 504] });
roundRobin({ id: 'step4', module: step4 }, 'step4-health-checks');
retries({ id: 'step4', module: step4 }, { judgesRotation: false });
