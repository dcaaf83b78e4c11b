import * as z from 'zod';
import { lazySchema } from '../shared/on-first-use.js';

/** The console's files: a fixed list, so a path never reaches the file system unchecked. */
export const consoleAssets = ['app.js', 'app.css', 'config.json'] as const;

export const consoleAssetPathSchema = lazySchema(() => z.strictObject({ asset: z.enum(consoleAssets) }));
