import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: the heaviest tests (100 logins with a receiver down, on MySQL) take 10-30 s on 2 cores.
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Database tests share one PostgreSQL; each file uses its own schema, so files may run in parallel.
    fileParallelism: true,
  },
});
