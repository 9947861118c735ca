import { writeFileSync } from 'fs';
import { join } from 'path';
import { renderProtocolDoc } from './doc';

const target = join(__dirname, '..', '..', 'docs', 'protocol.md');
writeFileSync(target, renderProtocolDoc());
console.log(`wrote ${target}`);
