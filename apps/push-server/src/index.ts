/**
 * @module fosspush-server
 *
 * The fosspush push server CLI (`fosspush-server`): parses the command line, opens the store,
 * serves until SIGTERM, drains. Exposed as functions so the CLI can be driven from code.
 */
export { type CliConfig, CONFIGURATION_EXIT_CODES, defaultDbPath, EXIT, type ParsedCommand, parseCommandLine, parseListen, parseRateLimit, USAGE, UsageError } from './args.js';
export { type CliIo, runCli } from './run.js';
