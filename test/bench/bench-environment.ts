// Imported first by the benchmarks, before any module that reads these at load time. Metrics stay
// on, as on Lambda (one EMF line per count, written to stdout): a bench server's stdout is
// discarded; in the bench process the lines are written, then dropped here, so that the printed
// table stays readable.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const write = process.stdout.write.bind(process.stdout) as (chunk: unknown, ...rest: unknown[]) => boolean;
process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
  if (typeof chunk === 'string' && chunk.startsWith('{"_aws"')) return true;
  return write(chunk, ...rest);
}) as typeof process.stdout.write;
