/** The MongoDB driver is loaded only by a hub that uses MongoDB: importing the ledger does not load it. */
const loadedMongoDriver = () => Object.keys(require.cache).some((file) => /[\\/]node_modules[\\/]mongodb[\\/]/.test(file));

describe('ledger imports', () => {
  it('do not load the MongoDB driver until the MongoDB adapter is imported', async () => {
    await import('../../../hub/ledger');
    await import('../../../hub/hub');
    expect(loadedMongoDriver()).toBe(false);
    // The check itself sees the driver once it is there.
    await import('../../../hub/ledger/mongo');
    expect(loadedMongoDriver()).toBe(true);
  });
});
