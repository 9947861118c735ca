import { main } from '../hub/cli/main';
(async () => { for (const a of process.argv.slice(2).map((x) => x.split(' '))) { console.log('=== ' + a.join(' ')); await main([...a, '--help']); } })();
