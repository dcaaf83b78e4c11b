import { flushUsage } from '../../functions/usage/usage-counts.js';
import { type GatewayProcessConfig, serveKeygate } from './gateway-process.js';

/**
 * The script of startGatewayProcess (gateway-process.ts): one keygate gateway in this process.
 * SIGTERM or SIGINT stops it as dev/start.ts stops `npm start`: close the server, write the usage
 * counts this process holds (functions/usage/usage-counts.ts), exit.
 */
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const config = JSON.parse(process.env.KEYGATE_GATEWAY_PROCESS ?? '{}') as GatewayProcessConfig;
  const { url, server } = await serveKeygate(config);
  const stop = async () => {
    server.close();
    server.closeAllConnections();
    await flushUsage();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop());
  process.on('disconnect', () => void stop());
  process.send?.({ ready: { url } });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
