// Child process for the close test: enough writes to start the checkpoint thread, then close
// as the script's last step, with nothing else keeping the process alive.
import { createSqliteStore } from '../src/index.js';

const path = process.argv[2];
if (!path) throw new Error('usage: close-at-end DB_PATH');
const store = createSqliteStore({ path });
for (let i = 0; i < 500; i++) await store.putRegistration({ id: `r${i}`, owner: 'o', createdAt: 1, data: {} });
await store.close();
process.stdout.write('closed\n');
