import { configDefaults, defineConfig } from 'vitest/config';

// Every test file runs in its own forked process (chDB binds one data dir per process).
// Two projects: `unit` (*.test.ts) needs nothing; `integration` (*.int.test.ts) gets one real Kafka broker for
// the whole run from test/global-setup.ts (process.env.KAFKA_BROKERS). `npm test` runs both;
// `npm run test:unit` runs only `unit` and starts no broker.
const roots = ['services', 'models', 'dashboards', 'test', 'infra'];
const unitInclude = roots.map((r) => `${r}/**/*.test.ts`);
const intInclude = roots.map((r) => `${r}/**/*.int.test.ts`);
const exclude = [...configDefaults.exclude, '**/fixtures/**', 'dashboards/dist/**', '.tmp/**'];

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    projects: [
      {
        extends: true,
        // Unit tests need nothing: the broker that the integration project's global setup exports is hidden from
        // them (empty KAFKA_BROKERS = the embedded store), or in-process commands would produce to it.
        test: {
          name: 'unit',
          include: unitInclude,
          exclude: [...exclude, '**/*.int.test.ts'],
          env: { KAFKA_BROKERS: '' },
        },
      },
      {
        extends: true,
        test: { name: 'integration', include: intInclude, exclude, globalSetup: ['./test/global-setup.ts'] },
      },
    ],
  },
});
