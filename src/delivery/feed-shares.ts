/**
 * How many of the feed's partitions an instance aims to hold: `partitions` split as evenly as it goes among the
 * live instances, oldest first (`instances` in that order, `self` among them), the oldest ones taking one more
 * where they do not divide evenly. The shares add up to `partitions`, so once every instance holds its share no
 * partition is left unowned, and a newcomer takes the smaller share, moving as few partitions as it can.
 */
export function fairShare(partitions: number, instances: readonly string[], self: string): number {
  const known = instances.indexOf(self);
  const count = known < 0 ? instances.length + 1 : instances.length;
  const rank = known < 0 ? instances.length : known;
  return Math.floor(partitions / count) + (rank < partitions % count ? 1 : 0);
}

/** A partition as the table holds it: its number and the last event id recorded as sent. */
export interface PartitionPosition {
  readonly partition: number;
  readonly position: string;
}

/**
 * Where each of `count` new partitions starts when the number of partitions changes, so that no recipient's
 * event after its old partition's position is skipped. A recipient `r` of new partition `k` (`r % count = k`) was
 * in old partition `r % old`, and both are `r` modulo `g = gcd(old, count)`: so new `k` starts at the lowest
 * position of the old partitions `j` with `j % g = k % g`. From 4 to 12 each new partition is part of one old one
 * and keeps its position; from 12 to 4 each takes the lowest of the three it joins; between numbers with no
 * common divisor every partition starts at the lowest of all (events between that and its own come again).
 */
export function repartition(old: readonly PartitionPosition[], count: number): string[] {
  const contiguous = old.every((row, index) => row.partition === index);
  const lowest = (rows: readonly PartitionPosition[]) =>
    rows.reduce((low, row) => (BigInt(row.position) < BigInt(low) ? row.position : low), rows[0].position);
  if (!contiguous) return Array.from({ length: count }, () => lowest(old));
  const g = gcd(old.length, count);
  return Array.from({ length: count }, (_, k) => lowest(old.filter((row) => row.partition % g === k % g)));
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
