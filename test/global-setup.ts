/**
 * Vitest globalSetup: one real Kafka broker for the whole test run.
 *
 * - If KAFKA_BROKERS is already set (a real cluster, or a broker from `infra/kafka/broker.ts start`), it is used
 *   as is and nothing is started.
 * - Otherwise a single-node KRaft broker is started on 127.0.0.1:19092 (PASSAGE_TEST_KAFKA_PORT overrides;
 *   a busy port falls back to any free port) with a fresh temp data dir, and stopped at teardown.
 *
 * Tests read the address from `process.env.KAFKA_BROKERS` (set here before the test processes are forked), or
 * with `inject('kafkaBrokers')` from vitest.
 */
import type { TestProject } from 'vitest/node';
import {
  type BrokerHandle,
  DEFAULT_TEST_PORT,
  portInUse,
  reapStaleBrokers,
  startBroker,
} from '../infra/kafka/broker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated bootstrap list, same as process.env.KAFKA_BROKERS. */
    kafkaBrokers: string;
  }
}

let broker: BrokerHandle | undefined;

function killOnExit(): void {
  // Last resort if vitest exits without running teardown: never leave a broker JVM behind.
  if (broker) {
    try {
      process.kill(broker.pid, 'SIGKILL');
    } catch {}
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1'; // kafkajs 2 prints it for every producer otherwise
  const given = process.env.KAFKA_BROKERS?.trim();
  if (given) {
    project.provide('kafkaBrokers', given);
    return undefined;
  }
  const wanted = Number(process.env.PASSAGE_TEST_KAFKA_PORT ?? DEFAULT_TEST_PORT);
  let port = Number.isInteger(wanted) && wanted >= 0 && wanted < 65536 ? wanted : DEFAULT_TEST_PORT;
  await reapStaleBrokers(); // a broker left behind by an earlier run that was killed may hold the port
  if (port !== 0 && (await portInUse(port))) {
    process.stderr.write(`[passage-kafka] port ${port} is busy; the test broker takes a free port instead\n`);
    port = 0;
  }
  try {
    broker = await startBroker({ port });
  } catch (e) {
    // Another run (a colleague's vitest on the same machine) may have taken the port meanwhile.
    const code = (e as { code?: string }).code;
    const taken =
      code === 'PASSAGE_KAFKA_PORT_IN_USE' ||
      (code === 'PASSAGE_KAFKA_EXITED' && String((e as Error).message).includes('Address already in use'));
    if (port === 0 || !taken) throw e;
    process.stderr.write(`[passage-kafka] port ${port} was taken meanwhile; the test broker takes a free port\n`);
    broker = await startBroker({ port: 0 });
  }
  process.env.KAFKA_BROKERS = broker.brokers;
  project.provide('kafkaBrokers', broker.brokers);
  process.once('exit', killOnExit);
  return async () => {
    const b = broker;
    broker = undefined;
    process.removeListener('exit', killOnExit);
    if (process.env.KAFKA_BROKERS === b?.brokers) delete process.env.KAFKA_BROKERS;
    await b?.stop();
  };
}
