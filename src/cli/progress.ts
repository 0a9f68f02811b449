/**
 * Progress bars on stderr (cli-progress). When stderr is not a terminal (a log file), the bar is
 * written as a plain line every 30 seconds instead of being redrawn. A stopped bar (to print a line
 * above it: a validation result, a log line) starts again at the next update, where it was.
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
  let last = { ...payload };
  let running = true;
  bar.start(total, 0, payload);
  return {
    update: (value, p) => {
      last = { ...last, ...p };
      if (running) return bar.update(value, p);
      running = true;
      bar.start(total, value, last);
    },
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}
