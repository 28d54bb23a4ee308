import * as step7 from '@impl/step7-fast-engine/index.js';
import { naiveForwarding } from './behaviours/naive-forwarding.js';
import { roundRobin } from './behaviours/round-robin.js';

// Steps 1-2's checks on step 7's engine (the list of files is in step7-fast-engine.test.ts).
// A client that leaves before any answer is logged 0 by steps 1-5 and 499 from step 6 on.
naiveForwarding({ id: 'step7', module: step7 }, { refusedStatuses: [502, 503], connectTimeoutStatuses: [503, 504], abandonedStatuses: [0, 499] });
roundRobin({ id: 'step7', module: step7 }, 'step7-fast-engine');
