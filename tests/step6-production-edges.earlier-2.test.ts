import * as step6 from '@impl/step6-production-edges/index.js';
import { healthChecks } from './behaviours/health-checks.js';
import { loadAware } from './behaviours/load-aware.js';

// Steps 4-5's checks on step 6's code (steps 1-3's are in step6-production-edges.earlier.test.ts).
healthChecks({ id: 'step6', module: step6 });
loadAware({ id: 'step6', module: step6 });
