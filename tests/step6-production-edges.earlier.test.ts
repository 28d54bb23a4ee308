import * as step6 from '@impl/step6-production-edges/index.js';
import { naiveForwarding } from './behaviours/naive-forwarding.js';
import { retries } from './behaviours/retries.js';
import { roundRobin } from './behaviours/round-robin.js';

// Steps 1-3's checks on step 6's code; steps 4-5's are in step6-production-edges.earlier-2.test.ts.
// Three files run in parallel with `npm test -- step6`, so the learner waits for the longest one only.
// A client that leaves before any answer is logged 0 by steps 1-5 and 499 by step 6 (its own suite insists).
naiveForwarding({ id: 'step6', module: step6 }, { refusedStatuses: [502, 503], connectTimeoutStatuses: [503, 504], abandonedStatuses: [0, 499] });
roundRobin({ id: 'step6', module: step6 }, 'step6-production-edges');
retries({ id: 'step6', module: step6 }, { judgesRotation: false, abandonedStatuses: [0, 499] });
