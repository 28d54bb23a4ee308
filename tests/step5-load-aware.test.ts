import * as step5 from '@impl/step5-load-aware/index.js';
import { loadAware } from './behaviours/load-aware.js';

// The checks of steps 1-4 run on this step in step5-load-aware.earlier.test.ts, in parallel with these.
loadAware({ id: 'step5', module: step5 });
