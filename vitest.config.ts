import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // e2e tests fork processes and share the machine's two cores; keep file parallelism modest.
    maxWorkers: 2,
    // Builds dist/ when stale: e2e child processes import the package as users do.
    globalSetup: ['test/global-setup.ts'],
    // Type tests (`*.test-d.ts`: expectTypeOf, @ts-expect-error) are compiled by tsc, never run;
    // `vitest run` checks them alongside the other tests, and an unused @ts-expect-error fails.
    typecheck: {
      enabled: true,
      include: ['test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});
