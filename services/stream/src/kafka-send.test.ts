/**
 * `sendEvery`: kafkajs 2.2.4 can resolve a send while a partition's messages were never sent (a leader moved
 * mid-send, tulios/kafkajs#1303). The fake sender below answers like kafkajs (one entry per partition written) but
 * drops the messages of one partition the first time, as the bug does.
 */
import { describe, expect, it } from 'vitest';
import { sendEvery } from './kafka.ts';

type Msg = { key: string | null; value: Buffer | string; partition?: number };

function flakySender(dropPartition: number, drops: number) {
  const stored = new Map<number, string[]>();
  let sends = 0;
  return {
    stored,
    sends: () => sends,
    async send({ topic, messages }: { topic: string; messages: Msg[] }) {
      sends++;
      const parts = new Set(messages.map((m) => m.partition as number));
      const answered: { topicName: string; partition: number; errorCode: number }[] = [];
      for (const p of parts) {
        if (p === dropPartition && drops > 0) continue; // never sent, yet the send resolves
        for (const m of messages.filter((x) => x.partition === p))
          stored.set(p, [...(stored.get(p) ?? []), String(m.value)]);
        answered.push({ topicName: topic, partition: p, errorCode: 0 });
      }
      if (parts.has(dropPartition)) drops--;
      return answered;
    },
  };
}

const messages = Array.from({ length: 200 }, (_, i) => ({ key: `cam-${i % 13}`, value: `v${i}` }));

describe('sendEvery', () => {
  it('sends again what a partition never acknowledged: every record stored once, keys keep their partition', async () => {
    const s = flakySender(0, 1);
    await sendEvery(s, 'detections', messages, 4);
    const all = [...s.stored.values()].flat();
    expect(all).toHaveLength(200);
    expect(new Set(all).size).toBe(200);
    expect(s.sends()).toBe(2);
    // Partition 0 got its records on the second send only, and each key lives in one partition.
    expect(s.stored.get(0)?.length).toBeGreaterThan(0);
    const partOf = new Map<string, number>();
    for (const [p, values] of s.stored) {
      for (const v of values) {
        const key = messages[Number(v.slice(1))].key;
        expect(partOf.get(key) ?? p).toBe(p);
        partOf.set(key, p);
      }
    }
    expect(new Set(partOf.values()).size).toBe(4);
  });

  it('without the check (partitions unknown) the dropped partition is lost: what the check prevents', async () => {
    const s = flakySender(0, 1);
    const forced = messages.map((m, i) => ({ ...m, partition: i % 4 }));
    await sendEvery(s, 'detections', forced, 0);
    expect([...s.stored.values()].flat()).toHaveLength(150);
  });

  it('a partition that never answers ends in an error after 5 sends, never a silent success', async () => {
    const s = flakySender(1, 99);
    await expect(sendEvery(s, 'detections', messages, 4)).rejects.toThrow(/partitions 1 were never acknowledged/);
    expect(s.sends()).toBe(5);
  });
});
