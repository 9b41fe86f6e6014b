import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.ts';

describe('loadConfig', () => {
  it('applies defaults and is frozen', () => {
    const c = loadConfig({ env: {} });
    expect(c.dataDir).toBe('./data');
    expect(c.kafka.brokers).toEqual([]);
    expect(c.topics.detections).toBe('detections.v1');
    expect(c.privacy.k).toBe(5);
    expect(Object.isFrozen(c.kafka)).toBe(true);
  });

  it('reads environment variables', () => {
    const c = loadConfig({ env: { KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093', PASSAGE_K_ANONYMITY: '7' } });
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(c.privacy.k).toBe(7);
  });

  it('names the wrong key, its variable and the fix', () => {
    expect(() => loadConfig({ env: { KAFKA_BROKERS: 'localhost' } })).toThrow(
      /KAFKA_BROKERS or config key kafka\.brokers = "localhost"/,
    );
    expect(() => loadConfig({ env: { PASSAGE_API_PORT: 'abc' } })).toThrow(/PASSAGE_API_PORT="abc" must be a number/);
    expect(() => loadConfig({ env: {}, overrides: { kafak: {} } })).toThrow(/kafak.*remove it or fix its spelling/);
    try {
      loadConfig({ env: { PASSAGE_K_ANONYMITY: '1' } });
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe('PASSAGE_CONFIG_INVALID');
    }
  });
});
