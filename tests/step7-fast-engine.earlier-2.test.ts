import * as step7 from '@impl/step7-fast-engine/index.js';
import { healthChecks } from './behaviours/health-checks.js';
import { loadAware } from './behaviours/load-aware.js';

// Steps 4-5's checks on step 7's engine (steps 1-3's are in step7-fast-engine.earlier.test.ts).
healthChecks({ id: 'step7', module: step7 });
loadAware({ id: 'step7', module: step7 });
