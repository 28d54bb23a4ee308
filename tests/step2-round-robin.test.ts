import * as step2 from '@impl/step2-round-robin/index.js';
import { naiveForwarding } from './behaviours/naive-forwarding.js';
import { roundRobin } from './behaviours/round-robin.js';

naiveForwarding({ id: 'step2', module: step2 });
roundRobin({ id: 'step2', module: step2 });
