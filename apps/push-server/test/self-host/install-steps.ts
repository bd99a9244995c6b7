/**
 * Prints docs/push-server.md's "Install" section as one shell script, for
 * scripts/self-host-check.sh: the page's commands verbatim, with only the folders moved into a
 * scratch folder (`/opt/fosspush`, `/usr/local/bin`, `/tmp/fosspush-dist`) and the clone
 * replaced by this checkout.
 *
 * Usage: install-steps.ts CHECKOUT SCRATCH
 */
import { codeBlock, readDoc, render } from './doc.js';

const [checkout, scratch] = process.argv.slice(2);
if (!checkout || !scratch) throw new Error('usage: install-steps.ts CHECKOUT SCRATCH');
const doc = readDoc();
const build = render(codeBlock(doc, '## Install', 'sh', 0), [
  [/^git clone .*$/m, `cd ${checkout}`],
  ['/tmp/fosspush-dist', `${scratch}/dist`],
]);
const install = render(codeBlock(doc, '## Install', 'sh', 1), [
  ['/opt/fosspush', `${scratch}/opt/fosspush`],
  ['/usr/local/bin/fosspush-server', `${scratch}/bin/fosspush-server`],
  ['/tmp/fosspush-dist', `${scratch}/dist`],
]);
process.stdout.write(`set -ex\nmkdir -p ${scratch}/bin\n${build}${install}`);
