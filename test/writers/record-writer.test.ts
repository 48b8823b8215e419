import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import type { RawFollower } from '../../src/api/types.js';
import { type Encoder, RecordWriter, getFormat } from '../../src/writers/index.js';

import { follower } from '../helpers/followers.js';

/** A slow destination: tiny buffer, each write acknowledged on a later turn of the event loop. */
function slowSink(highWaterMark = 1) {
  const received: Buffer[] = [];
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      setImmediate(() => {
        received.push(chunk);
        callback();
      });
    },
  });
  return { stream, received: () => Buffer.concat(received) };
}

const csv = () => getFormat('csv').createEncoder({ fields: undefined, bom: true, formulaGuard: true });
const jsonl = () => getFormat('jsonl').createEncoder({ fields: undefined, bom: false, formulaGuard: true });

describe('RecordWriter', () => {
  test('backpressure: write() returns a promise when the destination is full; rows and bytes are exact', async () => {
    const sink = slowSink(1);
    const writer = new RecordWriter(sink.stream, csv(), { writeHeader: true });
    let promises = 0;
    for (let i = 0; i < 50; i++) {
      const wait = writer.write(follower(i));
      if (wait) {
        expect(wait).toBeInstanceOf(Promise);
        promises++;
        await wait;
      }
    }
    expect(promises).toBeGreaterThan(0);
    await writer.close();
    expect(writer.rows).toBe(50);
    expect(writer.bytes).toBe(sink.received().length);
    const text = sink.received().toString('utf8');
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(51);
  });

  test('write() returns undefined while the destination has room', () => {
    const stream = new Writable({ highWaterMark: 1 << 20, write: (_chunk, _encoding, callback) => callback() });
    const writer = new RecordWriter(stream, jsonl(), { writeHeader: true });
    expect(writer.write(follower(1))).toBeUndefined();
    expect(writer.rows).toBe(1);
    expect(writer.bytes).toBe(follower(1).bytes.length + 1);
  });

  test('flush() resolves once the destination has received everything written', async () => {
    const sink = slowSink(1);
    const writer = new RecordWriter(sink.stream, jsonl(), { writeHeader: true });
    for (let i = 0; i < 20; i++) void writer.write(follower(i)); // not awaited: all of it is still queued
    expect(sink.received().length).toBeLessThan(writer.bytes);
    await writer.flush();
    expect(sink.received().length).toBe(writer.bytes);
    expect(sink.received().toString().split('\n').filter(Boolean)).toHaveLength(20);
    await writer.close();
  });

  test('bytes include the header, rows do not', async () => {
    const sink = slowSink(1 << 16);
    const writer = new RecordWriter(sink.stream, csv(), { writeHeader: true });
    const headerBytes = writer.bytes;
    expect(headerBytes).toBe(csv().header()!.length);
    expect(writer.rows).toBe(0);
    await writer.write(follower(1));
    await writer.close();
    expect(writer.rows).toBe(1);
    expect(writer.bytes).toBe(sink.received().length);
  });

  test('close() resolves after the destination finished', async () => {
    const sink = slowSink(1);
    let finished = false;
    sink.stream.on('finish', () => (finished = true));
    const writer = new RecordWriter(sink.stream, jsonl(), { writeHeader: true });
    for (let i = 0; i < 5; i++) void writer.write(follower(i));
    await writer.close();
    expect(finished).toBe(true);
    expect(sink.received().length).toBe(writer.bytes);
  });

  test('a destination error rejects the pending write, and later calls throw it', async () => {
    const failure = new Error('ENOSPC: no space left on device');
    const stream = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, callback) {
        setImmediate(() => callback(failure));
      },
    });
    const encoder: Encoder = { header: () => undefined, encode: (f) => f.bytes };
    const writer = new RecordWriter(stream, encoder, { writeHeader: true });
    const pending = writer.write(follower(1));
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).rejects.toBe(failure);
    expect(() => writer.write(follower(2))).toThrow(failure);
    expect(() => writer.flush()).toThrow(failure);
  });
});

describe('ByteSink listeners', () => {
  test('writes that do not wait on a full destination share one drain wait (no listener leak)', async () => {
    const sink = slowSink(1);
    const writer = new RecordWriter(sink.stream, jsonl(), { writeHeader: false });
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      const wait = writer.write(follower(i));
      if (wait) waits.push(wait);
    }
    expect(waits.length).toBeGreaterThan(10);
    expect(sink.stream.listenerCount('drain')).toBeLessThanOrEqual(1);
    // The constructor's own 'error' listener and at most one for the pending drain.
    expect(sink.stream.listenerCount('error')).toBeLessThanOrEqual(2);
    await Promise.all(waits);
    await writer.flush();
    expect(sink.received().toString().split('\n').filter(Boolean)).toHaveLength(40);
  });
});
