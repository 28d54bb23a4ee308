import * as step1 from '@impl/step1-naive-forwarding/index.js';
import { naiveForwarding } from './behaviours/naive-forwarding.js';

naiveForwarding({ id: 'step1', module: step1 });
