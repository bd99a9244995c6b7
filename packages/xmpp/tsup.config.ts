import { packageBuild } from '../../scripts/tsup-package.ts';

export default packageBuild(['src/index.ts']);
