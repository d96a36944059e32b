import { LayerlabError, isAbort, toLayerlabError, type ErrorContext } from '../../errors.ts';

/**
 * Re-anchors an error raised while decoding one gzip member of an eStargz blob. The decoder and
 * the tar parser only see the member, so their offsets count from its start; the user needs the
 * blob's. The result carries `ctx` (the member's blob offset, the entry) and says where inside
 * the member it went wrong. Errors already made with `ctx` pass through.
 */
export function inMember(e: unknown, ctx: ErrorContext, what: string): LayerlabError {
  if (isAbort(e)) return toLayerlabError(e, ctx);
  const inner = toLayerlabError(e);
  if (inner.context.offset === ctx.offset && inner.context.offsetSpace === ctx.offsetSpace) return inner.withContext(ctx);
  const where = inner.context.offset === undefined ? '' : ` (${inner.context.offsetSpace ?? 'file'} offset ${inner.context.offset} inside it)`;
  return new LayerlabError(inner.code, `${what}: ${inner.message}${where}`, ctx, { cause: inner });
}
