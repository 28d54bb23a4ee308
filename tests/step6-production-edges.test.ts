import * as step6 from '@impl/step6-production-edges/index.js';
import { productionEdges } from './behaviours/production-edges.js';

// The checks of steps 1-5 run on this step in step6-production-edges.earlier.test.ts, in parallel with these.
productionEdges({ id: 'step6', module: step6 });
