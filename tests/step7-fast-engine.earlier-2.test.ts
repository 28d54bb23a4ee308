import * as step7 from '@impl/step7-fast-engine/index.js';
import { healthChecks } from './behaviours/health-checks.js';
import { loadAware } from './behaviours/load-aware.js';

// Steps 4-5's checks on step 7's engine (the list of files is in step7-fast-engine.test.ts).
healthChecks({ id: 'step7', module: step7 });
loadAware({ id: 'step7', module: step7 });
