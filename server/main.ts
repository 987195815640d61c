// Entry of the server bundle (dist/server/server.cjs), started by the extension over IPC.
import { startServer } from './index';

startServer();
