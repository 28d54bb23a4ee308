import * as step7 from '@impl/step7-fast-engine/index.js';
import { productionEdges } from './behaviours/production-edges.js';

// Step 6's checks on step 7's engine (the list of files is in step7-fast-engine.test.ts).
productionEdges({ id: 'step7', module: step7 });
