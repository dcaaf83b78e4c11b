import * as z from 'zod';

/** The console's files: a fixed list, so a path never reaches the file system unchecked. */
export const consoleAssets = ['app.js', 'app.css', 'config.json'] as const;

export const consoleAssetPathSchema = z.strictObject({ asset: z.enum(consoleAssets) });
