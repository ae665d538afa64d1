import { fairShare, type PartitionPosition, repartition } from '../../src/delivery/feed-shares';

const shares = (partitions: number, instances: string[]) =>
  instances.map((self) => fairShare(partitions, instances, self));

describe('fairShare', () => {
  it('splits the partitions evenly, the oldest instances taking what does not divide', () => {
    expect(shares(12, ['a', 'b'])).toEqual([6, 6]);
    expect(shares(12, ['a', 'b', 'c'])).toEqual([4, 4, 4]);
    expect(shares(12, ['a', 'b', 'c', 'd', 'e'])).toEqual([3, 3, 2, 2, 2]);
    expect(shares(4, ['a', 'b', 'c'])).toEqual([2, 1, 1]);
    expect(shares(2, ['a', 'b', 'c'])).toEqual([1, 1, 0]);
  });

  it('always adds up to the partitions, so none is left unowned once every instance holds its share', () => {
    for (let partitions = 1; partitions <= 40; partitions++) {
      for (let live = 1; live <= 10; live++) {
        const instances = Array.from({ length: live }, (_, i) => `i${i}`);
        const each = shares(partitions, instances);
        expect(each.reduce((sum, share) => sum + share, 0)).toBe(partitions);
        expect(Math.max(...each) - Math.min(...each)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('counts an instance not yet in the list as the newest', () => {
    expect(fairShare(12, ['a', 'b'], 'c')).toBe(4);
    expect(fairShare(4, ['a', 'b'], 'c')).toBe(1);
  });
});

describe('repartition', () => {
  const table = (...positions: number[]): PartitionPosition[] =>
    positions.map((position, partition) => ({ partition, position: String(position) }));

  /** For every recipient id, the new partition's start is at most where its old partition stood. */
  function skipsNothing(old: PartitionPosition[], count: number): void {
    const starts = repartition(old, count);
    expect(starts).toHaveLength(count);
    const skipped: number[] = [];
    for (let recipient = 1; recipient <= 500; recipient++) {
      if (BigInt(starts[recipient % count]) > BigInt(old[recipient % old.length].position))
        skipped.push(recipient);
    }
    expect({ from: old.length, to: count, skipped }).toEqual({ from: old.length, to: count, skipped: [] });
  }

  it('from 4 to 12: each new partition is part of one old one and keeps its position', () => {
    expect(repartition(table(10, 20, 30, 40), 12)).toEqual([
      '10',
      '20',
      '30',
      '40',
      '10',
      '20',
      '30',
      '40',
      '10',
      '20',
      '30',
      '40',
    ]);
  });

  it('from 12 to 4: each takes the lowest of the three it joins', () => {
    const old = table(5, 50, 90, 13, 7, 60, 80, 14, 9, 55, 70, 15);
    expect(repartition(old, 4)).toEqual(['5', '50', '70', '13']);
  });

  it('between counts with no common divisor, every partition starts at the lowest of all', () => {
    expect(repartition(table(10, 20, 30), 4)).toEqual(['10', '10', '10', '10']);
  });

  it('never starts a recipient after where its old partition stood, whatever the counts', () => {
    for (let from = 1; from <= 12; from++) {
      const old = table(...Array.from({ length: from }, (_, i) => 1000 - ((i * 37) % 101)));
      for (let to = 1; to <= 16; to++) skipsNothing(old, to);
    }
  });

  it('a table whose numbers are not 0..n-1 starts everywhere at its lowest position', () => {
    expect(
      repartition(
        [
          { partition: 0, position: '9' },
          { partition: 5, position: '3' },
        ],
        2,
      ),
    ).toEqual(['3', '3']);
  });
});
