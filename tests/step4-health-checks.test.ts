import * as step4 from '@impl/step4-health-checks/index.js';
import { healthChecks } from './behaviours/health-checks.js';
import { naiveForwarding } from './behaviours/naive-forwarding.js';
import { retries } from './behaviours/retries.js';
import { roundRobin } from './behaviours/round-robin.js';

naiveForwarding({ id: 'step4', module: step4 }, { refusedStatuses: [502, 503], connectTimeoutStatuses: [503, 504] });
roundRobin({ id: 'step4', module: step4 }, 'step4-health-checks');
retries({ id: 'step4', module: step4 }, { judgesRotation: false });
healthChecks({ id: 'step4', module: step4 });
