/**
 * Pull-style reading over the push parser, for code at the edges that prefers `for await`:
 *
 *   for await (const { entry, body } of readTarEntries(chunks)) await writer.addEntry(entry, body);
 *
 * One input chunk is pushed at a time and what it produced is handed out before the next is
 * read, so memory stays bounded by the input chunk size. `body` must be read (or ignored)
 * before asking for the next entry: afterwards it is gone.
 */
import { LayerlabError } from '../errors.ts';
import { TarParser, type TarParserOptions } from './tar-parser.ts';
import type { TarEntry } from './tar-types.ts';

export interface TarStreamItem {
  entry: TarEntry;
  /** The member's data as views into the input chunks; empty for members without data. */
  body: AsyncIterable<Uint8Array>;
}

const END_OF_BODY = Symbol('end of body');
type ParserEvent = TarEntry | Uint8Array | typeof END_OF_BODY;

export async function* readTarEntries(chunks: AsyncIterable<Uint8Array>, options: TarParserOptions = {}): AsyncGenerator<TarStreamItem> {
  let events: ParserEvent[] = [];
  let head = 0;
  const parser = new TarParser({
    entry(entry) {
      events.push(entry);
      return { data: (c) => { events.push(c); }, end: () => { events.push(END_OF_BODY); } };
    },
  }, options);
  const input = chunks[Symbol.asyncIterator]();
  let inputDone = false;

  /** The next parser event, reading input as needed; undefined once everything is consumed. */
  async function nextEvent(): Promise<ParserEvent | undefined> {
    while (head === events.length) {
      events = [];
      head = 0;
      if (inputDone) return undefined;
      const r = await input.next();
      if (r.done) {
        inputDone = true;
        parser.finish();
      } else {
        parser.push(r.value);
      }
    }
    return events[head++];
  }

  try {
    let ev = await nextEvent();
    while (ev !== undefined) {
      if (!(ev instanceof Uint8Array) && ev !== END_OF_BODY) {
        const entry = ev;
        let state: 'unread' | 'reading' | 'done' | 'gone' = 'unread';
        const body: AsyncIterable<Uint8Array> = {
          [Symbol.asyncIterator]: async function* () {
            if (state !== 'unread') {
              throw new LayerlabError('INTERNAL', `the body of ${JSON.stringify(entry.name)} was ${state === 'gone' ? 'read after moving to the next entry' : 'already read'}`, { entry: entry.name });
            }
            state = 'reading';
            for (;;) {
              const b = await nextEvent();
              if (b === undefined || b === END_OF_BODY) break;
              yield b as Uint8Array;
            }
            state = 'done';
          },
        };
        yield { entry, body };
        const unread = state === 'unread' || state === 'reading';
        state = 'gone';
        // Skip whatever of this body the consumer left.
        ev = await nextEvent();
        if (unread) {
          while (ev !== undefined && (ev instanceof Uint8Array || ev === END_OF_BODY)) ev = await nextEvent();
        }
      } else {
        ev = await nextEvent();
      }
    }
  } finally {
    if (!inputDone) await input.return?.();
  }
}
