import { describe, expect, it } from 'vitest';
import { settleAll } from '../../../functions/shared/settled.js';

const after = <T>(ms: number, outcome: () => T) => new Promise<T>((done, fail) => setTimeout(() => {
  try {
    done(outcome());
  } catch (error) {
    fail(error);
  }
}, ms));

describe('settleAll', () => {
  it('gives the values in the order given', async () => {
    const values: [number, string] = await settleAll([after(20, () => 1), Promise.resolve('two')]);
    expect(values).toEqual([1, 'two']);
  });

  it('rejects only once every promise has settled, where Promise.all rejects at the first failure', async () => {
    let slowDone = false;
    const slow = () => after(60, () => {
      slowDone = true;
    });
    const failing = () => after(5, () => {
      throw new Error('first');
    });

    slowDone = false;
    await expect(Promise.all([failing(), slow()])).rejects.toThrow('first');
    expect(slowDone).toBe(false);

    slowDone = false;
    await expect(settleAll([failing(), slow()])).rejects.toThrow('first');
    expect(slowDone).toBe(true);
  });

  it('rejects with the first rejection in the order given, not in time', async () => {
    const late = after(40, () => {
      throw new Error('given first');
    });
    const early = after(1, () => {
      throw new Error('failed first');
    });
    await expect(settleAll([late, early])).rejects.toThrow('given first');
  });

  it('takes an empty list', async () => {
    expect(await settleAll([])).toEqual([]);
  });
});
