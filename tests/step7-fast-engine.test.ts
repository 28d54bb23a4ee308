import * as step7 from '@impl/step7-fast-engine/index.js';
import { fastEngine } from './behaviours/fast-engine.js';
import { productionEdges } from './behaviours/production-edges.js';

// Step 7 changes the engine and nothing else: the earlier steps' checks, unchanged, are its tests.
// Step 6's run here; steps 1-3's in step7-fast-engine.earlier.test.ts, steps 4-5's in .earlier-2.test.ts.
fastEngine({ id: 'step7', module: step7 });
productionEdges({ id: 'step7', module: step7 });
