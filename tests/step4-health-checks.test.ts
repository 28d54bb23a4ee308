import * as step4 from '@impl/step4-health-checks/index.js';
import { healthChecks } from './behaviours/health-checks.js';

// The checks of steps 1-3 run on this step in step4-health-checks.earlier.test.ts, in parallel with these.
healthChecks({ id: 'step4', module: step4 });
