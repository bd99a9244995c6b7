import { appBuild } from '../../scripts/tsup-package.ts';

export default appBuild(['src/index.ts', 'src/cli.ts']);
