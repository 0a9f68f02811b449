/**
 * Progress bars on stderr (cli-progress). When stderr is not a terminal (a log file), the bar is
 * written as a plain line every 30 seconds instead of being redrawn.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, payload?: Record<string, unknown>): void;
  stop(): void;
}

/**
 * A bar for `total` units. `format` may use cli-progress tokens ({bar} {value} {total} {percentage}
 * {eta_formatted}) and payload keys.
 */
export function progressBar(total: number, format: string, payload: Record<string, unknown> = {}): Progress {
  const bar = new cliProgress.SingleBar(
    { format, stream: process.stderr, hideCursor: true, clearOnComplete: false, etaBuffer: 50, fps: 5, noTTYOutput: true, notTTYSchedule: 30_000 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, payload);
  return {
    update: (value, p) => bar.update(value, p),
    stop: () => bar.stop(),
  };
}
