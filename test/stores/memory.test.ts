import { MemoryJobStore } from '../../src/stores/memory.js';
import { describeJobStore } from './conformance.js';

describeJobStore('MemoryJobStore', async () => {
  let leaseNow = Date.parse('2026-01-01T00:00:00Z');
  const store = new MemoryJobStore({ leaseDuration: 30_000, leaseClock: () => leaseNow });
  return {
    store,
    expireLeases: async () => {
      leaseNow += 30_000;
    },
    cleanup: async () => {},
  };
});
