import * as step3 from '@impl/step3-retries/index.js';
import { naiveForwarding } from './behaviours/naive-forwarding.js';
import { retries } from './behaviours/retries.js';
import { roundRobin } from './behaviours/round-robin.js';

naiveForwarding({ id: 'step3', module: step3 }, { refusedStatuses: [502, 503], connectTimeoutStatuses: [503, 504] });
roundRobin({ id: 'step3', module: step3 }, 'step3-retries');
retries({ id: 'step3', module: step3 });
