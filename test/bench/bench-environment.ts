// Imported first by the benchmarks, before any module that reads these at load time: the
// measurement is of verification itself, not of a metrics or log line per decision.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
