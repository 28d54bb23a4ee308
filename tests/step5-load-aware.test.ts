import * as step5 from '@impl/step5-load-aware/index.js';
import { healthChecks } from './behaviours/health-checks.js';
import { loadAware } from './behaviours/load-aware.js';

// The checks of steps 1-3 run on this step in step5-load-aware.earlier.test.ts, in parallel with these.
loadAware({ id: 'step5', module: step5 });
healthChecks({ id: 'step5', module: step5 });
