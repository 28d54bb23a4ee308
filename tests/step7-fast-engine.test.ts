import * as step7 from '@impl/step7-fast-engine/index.js';
import { fastEngine } from './behaviours/fast-engine.js';
import { retries } from './behaviours/retries.js';

// Step 7 changes the engine and nothing else: the earlier steps' checks, unchanged, are its tests.
// Step 3's run here beside step 7's own; steps 1-2's in .earlier.test.ts, steps 4-5's in .earlier-2,
// step 6's in .earlier-3. The four files run in parallel, so the learner waits for the longest one only.
fastEngine({ id: 'step7', module: step7 });
retries({ id: 'step7', module: step7 }, { judgesRotation: false, abandonedStatuses: [0, 499] });
