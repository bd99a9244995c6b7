import { packageBuild } from '../../scripts/tsup-package.ts';

// One entry per subpath export: a device bundles `user-agent` without the Node-only `node` entry.
export default packageBuild(['src/service/index.ts', 'src/app-server/index.ts', 'src/user-agent/index.ts', 'src/node/index.ts']);
