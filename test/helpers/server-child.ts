/**
 * The real server (startServer: web + SMTP reception) in a process of its own, over the
 * configuration of its environment, for the tests that kill it. Unlike `sesame serve` it runs no
 * migration (the test prepared the database) and can work in a PostgreSQL schema of its own
 * (SESAME_TEST_SEARCH_PATH). Prints `SMTP listening on <port>` once both doors are open.
 */
import { loadConfig } from "../../src/config/config.js";
import { startServer, stopOnSignals } from "../../src/main.js";
import { openServices } from "../../src/services.js";

const config = loadConfig();
const searchPath = process.env.SESAME_TEST_SEARCH_PATH;
const services = await openServices(config, {
  migrate: false,
  ...(searchPath ? { database: { searchPath, poolSize: 4 } } : {}),
});
const server = await startServer(config, services);
stopOnSignals(server);
process.stdout.write(`SMTP listening on ${server.smtpPort}\n`);
