import { describe, expect, it } from 'vitest';
import { PublishOrder } from './publish-order.js';

describe('PublishOrder', () => {
  it('publishes in seq order whatever order commits finish in, skipping rolled-back seqs', () => {
    const order = new PublishOrder();
    const out: number[] = [];
    const [t1, t2, t3, t4] = [1, 2, 3, 4].map(() => order.reserve('c'));
    order.release(t3!, () => out.push(3));
    order.release(t2!, () => out.push(2));
    expect(out).toEqual([]);
    order.release(t1!, () => out.push(1));
    expect(out).toEqual([1, 2, 3]);
    const t5 = order.reserve('c');
    order.release(t5, () => out.push(5));
    order.release(t4!); // rolled back
    expect(out).toEqual([1, 2, 3, 5]);
  });

  it('keeps conversations independent and publishes unreserved seqs at once', () => {
    const order = new PublishOrder();
    const out: string[] = [];
    const a = order.reserve('a');
    const b = order.reserve('b');
    order.release(b, () => out.push('b1'));
    order.release({ conversationId: 'x' }, () => out.push('x9'));
    expect(out).toEqual(['b1', 'x9']);
    order.release(a, () => out.push('a1'));
    expect(out).toEqual(['b1', 'x9', 'a1']);
  });
});
