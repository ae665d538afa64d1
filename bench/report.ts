import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { format, resolveConfig } from 'prettier';
import type { BenchResult, ResultRow } from './result';
import { ROOT } from './processes';
import type { Sizes } from './sizes';

const run = promisify(execFile);
const HISTORY_MARK = '<!-- bench:history -->';

export interface Machine {
  readonly date: string;
  readonly cpus: number;
  readonly memory: string;
  readonly node: string;
  readonly psql: string;
  readonly postgresServer: string;
  readonly loadAverageAtStart: readonly number[];
  readonly loadAverageAtEnd: readonly number[];
}

export async function describeMachine(postgresServer: string, loadAtStart: number[]): Promise<Machine> {
  const tool = (cmd: string, args: string[]) =>
    run(cmd, args).then(
      ({ stdout }) => stdout.trim(),
      () => 'unknown',
    );
  const free = await tool('free', ['-m']);
  const totalMib = /Mem:\s+(\d+)/.exec(free)?.[1];
  return {
    date: new Date().toISOString(),
    cpus: Number(await tool('nproc', [])) || os.cpus().length,
    memory: `${totalMib ?? Math.round(os.totalmem() / 2 ** 20)} MiB`,
    node: process.version,
    psql: await tool('psql', ['--version']),
    postgresServer,
    loadAverageAtStart: loadAtStart.map((n) => Math.round(n * 100) / 100),
    loadAverageAtEnd: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

const cell = (row: ResultRow) => [
  row.what,
  row.project,
  row.baseline,
  row.ratio === undefined ? '' : `${row.ratio}x`,
  row.target,
  row.met === undefined ? '' : row.met ? 'met' : 'not met',
];
const HEADER = ['what', 'project', 'baseline', 'ratio', 'target', 'status'];

function table(rows: readonly ResultRow[]): string {
  const lines = [HEADER, ...rows.map(cell)];
  const widths = HEADER.map((_, i) => Math.max(...lines.map((line) => line[i].length)));
  const format = (line: string[]) => `| ${line.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [
    format(lines[0]),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...lines.slice(1).map(format),
  ].join('\n');
}

export function printTable(results: readonly BenchResult[]): void {
  process.stdout.write(`\n${table(results.flatMap((r) => r.rows))}\n`);
}

/** Written as the project's Prettier settings format it, so committed results pass `npm run lint`. */
async function writeFormatted(file: string, text: string): Promise<void> {
  const options = await resolveConfig(path.join(ROOT, 'package.json'));
  await writeFile(file, await format(text, { ...options, filepath: file }));
}

/** bench/results/<name>.json per benchmark, and this run's summary on top of RESULTS.md (earlier runs kept below). */
export async function writeResults(
  outDir: string,
  results: readonly BenchResult[],
  machine: Machine,
  sizes: Sizes,
): Promise<void> {
  await mkdir(path.join(outDir, 'results'), { recursive: true });
  for (const result of results) {
    const json = { name: result.name, machine, sizes, rows: result.rows, figures: result.figures };
    await writeFormatted(path.join(outDir, 'results', `${result.name}.json`), JSON.stringify(json));
  }
  const file = path.join(outDir, 'RESULTS.md');
  const previous = await readFile(file, 'utf8').catch(() => '');
  const history = previous.includes(HISTORY_MARK)
    ? previous.slice(previous.indexOf(HISTORY_MARK) + HISTORY_MARK.length)
    : previous.replace(/^# Benchmark results\n/, '');
  const summary = [
    '# Benchmark results',
    '',
    `## ${machine.date.slice(0, 10)}: \`npm run bench\`${sizes.quick ? ' (BENCH_QUICK=1: small sizes, not comparable)' : ''}`,
    '',
    `Machine: ${machine.cpus} CPUs, ${machine.memory}, Node.js ${machine.node}, ${machine.psql}, server ` +
      `${machine.postgresServer}; load average ${machine.loadAverageAtStart.join(' ')} at start, ` +
      `${machine.loadAverageAtEnd.join(' ')} at end. Run at ${machine.date}.`,
    '',
    `Conditions: the built server (\`node dist/src/main.js\`, NODE_ENV=production) and each baseline as its own ` +
      `process on PostgreSQL over loopback; clients (autocannon, graphql-ws, pusher-js, ws) in the bench process. ` +
      `${sizes.users} users, ${sizes.messages} background messages, ${sizes.conversationMessages} in the measured ` +
      `conversation; ${sizes.subscribers} subscribers (half graphql-ws, half pusher-js); read at ` +
      `${sizes.readConnections} connections for ${sizes.readSeconds} s; fan-out ${sizes.fanoutRates.join(' and ')}/s ` +
      `from ${sizes.fanoutSenders} senders for ${sizes.fanoutSeconds} s; writes ${sizes.writeSenders} senders for ` +
      `${sizes.writeSeconds} s; hot conversation ${sizes.hotSenders} senders to one receiver for ` +
      `${sizes.writeSeconds} s; capacity steps ${sizes.capacityRates.join(', ')}/s for ${sizes.capacitySeconds} s ` +
      `each; notification bursts to ${sizes.burstReceivers.join(' and ')} (${sizes.burstCallReceivers} a call); ` +
      `growth at ${sizes.growthMessages.join(' and ')} messages, ${sizes.growthRate}/s for ${sizes.growthSeconds} s ` +
      `to ${sizes.growthReceivers} receivers with ${sizes.growthUnseen} unseen each; statements over ` +
      `${sizes.statementMessages} messages one by one; ` +
      `memory at ${sizes.memoryLevels.join(', ')} idle connections per kind. ` +
      `Single run of ${results.map((r) => r.name).join(', ')}; raw figures in \`bench/results/<name>.json\`.`,
    '',
    table(results.flatMap((r) => r.rows)),
    '',
    HISTORY_MARK,
  ].join('\n');
  await writeFormatted(file, `${summary}${history.startsWith('\n') ? '' : '\n'}${history}`);
}
