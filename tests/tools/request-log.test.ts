import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createLineLog } from '../../tools/learner/request-log.js';

/** A stream that takes writes but finishes none until `release()`: a reader that stopped reading. */
function stalledStream() {
  const chunks: string[] = [];
  const waiting: (() => void)[] = [];
  const stream = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      waiting.push(done);
    },
  });
  const release = () => {
    for (const done of waiting.splice(0)) done();
  };
  return { stream, chunks, release };
}

describe('the request log (tools/learner/request-log.ts)', () => {
  it('writes the lines of one burst in a single write', async () => {
    const { stream, chunks, release } = stalledStream();
    const log = createLineLog(stream);
    log.write('a');
    log.write('b');
    await nextTurn();
    release();
    expect(chunks).toEqual(['a\nb\n']);
  });

  it('with flushEveryMs, holds the lines that long and writes them in one go; too many go out at once', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate'] });
    onTestFinished(() => void vi.useRealTimers());
    const { stream, chunks, release } = stalledStream();
    const log = createLineLog(stream, { flushEveryMs: 40, maxBufferedBytes: 1e9 });
    log.write('a');
    vi.advanceTimersByTime(39);
    log.write('b');
    expect(chunks, 'nothing is written before flushEveryMs has passed').toEqual([]);
    vi.advanceTimersByTime(1);
    expect(chunks, 'both lines in one write, 40 ms after the first').toEqual(['a\nb\n']);
    release();
    for (let i = 0; i < 1_000; i += 1) log.write('x');
    expect(chunks, 'a thousand waiting lines are written without waiting for the timer').toHaveLength(2);
    expect(chunks[1].split('\n')).toHaveLength(1_001);
  });

  it('stops at the first stream error (EPIPE) without throwing, and says so once', async () => {
    const { stream, chunks } = stalledStream();
    const onError = vi.fn();
    const log = createLineLog(stream, { onError });
    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    stream.emit('error', new Error('again'));
    log.write('after the reader left');
    log.flush();
    await nextTurn();
    expect(onError.mock.calls.map(([err]) => (err as NodeJS.ErrnoException).code)).toEqual(['EPIPE']);
    expect(chunks).toEqual([]);
  });

  it('drops lines while the stream is backed up past maxBufferedBytes, and reports how many once it catches up', async () => {
    const { stream, chunks, release } = stalledStream();
    const log = createLineLog(stream, { maxBufferedBytes: 10 });
    log.write('first line, long enough to fill the buffer');
    await nextTurn(); // written: the stream now holds more than 10 bytes it has not finished
    for (let i = 0; i < 5; i += 1) log.write(`dropped ${i}`);
    await nextTurn();
    expect(chunks, 'nothing more is queued while the stream is backed up').toHaveLength(1);

    release();
    log.write('after');
    await nextTurn();
    expect(chunks.at(-1)).toBe('(5 log lines dropped: the log was not keeping up)\nafter\n');
  });

  it('reports dropped lines on flush even when no new line came', async () => {
    const { stream, chunks, release } = stalledStream();
    const log = createLineLog(stream, { maxBufferedBytes: 1 });
    log.write('fills it');
    await nextTurn();
    log.write('dropped');
    release();
    log.flush();
    expect(chunks.at(-1)).toBe('(1 log line dropped: the log was not keeping up)\n');
  });
});
