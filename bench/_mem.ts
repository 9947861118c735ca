import { engineWorld } from './engine-world';
const gc = (global as any).gc as () => void;
const w = engineWorld(200);
gc(); const h0 = process.memoryUsage().heapUsed;
for (let i = 0; i < 100; i++) { w.deal(); w.answer(); w.clock.now += 5; }
for (const n of w.names) w.msg(n, { type: 'snapshot', positions: w.held.get(n), margin_mode: 'hedging' });
while (w.engine.reconcileStep(w.clock.now));
w.out = [];
gc(); const h1 = process.memoryUsage().heapUsed;
// what the bench side holds: the slaves' positions
let held = 0; for (const v of w.held.values()) held += v.length;
w.held.clear(); gc(); const h2 = process.memoryUsage().heapUsed;
console.log(`copies 20000: heap +${((h1 - h0) / 2 ** 20).toFixed(1)} MB incl. the bench's ${held} positions; without them ${((h2 - h0) / 2 ** 20).toFixed(1)} MB = ${((h2 - h0) / 20000).toFixed(0)} bytes per copy`);
