import { mintAdminKey } from '../functions/bootstrap/admin-key.js';
import { openLocalData, runCommand, saveAdminKey, showAdminKey } from './local-data.js';

/**
 * `npm run admin:mint`: a new local admin key, for when `.keygate/admin.key` is lost or the key
 * expired. It opens the same data as `npm start`, so it refuses to run while that is running
 * (the data directory is locked). The old admin key keeps working until it expires or is deleted.
 */
async function main(): Promise<void> {
  const { deps, dynamoDb } = await openLocalData();
  try {
    const admin = await mintAdminKey(deps);
    saveAdminKey(admin.key);
    console.log(showAdminKey('New admin key', admin));
    console.log(`Admin keys minted before it still work until they expire; delete one with DELETE /v1/keys/<id>.`);
  } finally {
    await dynamoDb.stop();
  }
}

runCommand(main);
