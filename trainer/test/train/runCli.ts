// Runs `tunelab` from sources in a child process (the SIGTERM test needs a real process).
import { main } from '../../../cli/main';

const code = await main(process.argv.slice(2));
process.stdout.write('', () => process.exit(code));
